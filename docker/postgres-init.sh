#!/bin/sh
# Runs once, on the first start of an empty PostgreSQL volume: one role and one database
# for the API, another pair for the vault; neither can connect to the other's database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
  -v api_password="$KEYHOLD_DB_PASSWORD" -v vault_password="$VAULT_DB_PASSWORD" <<'SQL'
CREATE ROLE keyhold LOGIN PASSWORD :'api_password';
CREATE DATABASE keyhold OWNER keyhold;
REVOKE ALL ON DATABASE keyhold FROM PUBLIC;
CREATE ROLE keyhold_vault LOGIN PASSWORD :'vault_password';
CREATE DATABASE keyhold_vault OWNER keyhold_vault;
REVOKE ALL ON DATABASE keyhold_vault FROM PUBLIC;
SQL
