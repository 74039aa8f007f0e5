-- Permissions and roles become workspace entities. Keys keep referencing them by what they
-- already stored: a permission's slug (v1's permission name) and a role's name, now foreign
-- keys, so deleting a permission or role removes it from every key (and role) in the same
-- statement. Ids are the ones v2 answers already gave (src/ids.ts derivedId): the first 128
-- bits of SHA-256(workspace id NUL name) as 22 base58 digits, computed here once for the
-- names keys hold today.
CREATE FUNCTION "keyhold_derived_id"(prefix text, workspace_id text, name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  digest bytea := sha256(convert_to(workspace_id, 'UTF8') || '\x00'::bytea || convert_to(name, 'UTF8'));
  digits constant text := '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  n numeric := 0;
  out text := '';
BEGIN
  FOR i IN 0..15 LOOP n := n * 256 + get_byte(digest, i); END LOOP;
  FOR i IN 1..22 LOOP
    out := substr(digits, (n % 58)::int + 1, 1) || out;
    n := div(n, 58);
  END LOOP;
  RETURN prefix || '_' || out;
END $$;
--> statement-breakpoint
CREATE TABLE "permissions" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"description" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "role_permissions" (
	"role_id" text COLLATE "C" NOT NULL,
	"permission_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "role_permissions_role_id_permission_id_pk" PRIMARY KEY("role_id","permission_id")
);
--> statement-breakpoint
ALTER TABLE "permissions" ADD CONSTRAINT "permissions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roles" ADD CONSTRAINT "roles_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_permissions" ADD CONSTRAINT "role_permissions_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_permissions" ADD CONSTRAINT "role_permissions_permission_id_permissions_id_fk" FOREIGN KEY ("permission_id") REFERENCES "public"."permissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "permissions_workspace_slug_idx" ON "permissions" USING btree ("workspace_id","slug");--> statement-breakpoint
CREATE UNIQUE INDEX "roles_workspace_name_idx" ON "roles" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE INDEX "role_permissions_permission_idx" ON "role_permissions" USING btree ("permission_id");--> statement-breakpoint
-- Every name a key holds today becomes an entity of its workspace (slug = name, as v2 creates
-- permissions on first use).
INSERT INTO "permissions" ("id", "workspace_id", "name", "slug", "created_at")
  SELECT "keyhold_derived_id"('perm', "workspace_id", "name"), "workspace_id", "name", "name", (extract(epoch FROM now()) * 1000)::bigint
  FROM (SELECT DISTINCT "workspace_id", "name" FROM "key_permissions") AS held;--> statement-breakpoint
INSERT INTO "roles" ("id", "workspace_id", "name", "created_at")
  SELECT "keyhold_derived_id"('role', "workspace_id", "name"), "workspace_id", "name", (extract(epoch FROM now()) * 1000)::bigint
  FROM (SELECT DISTINCT "workspace_id", "name" FROM "key_roles") AS held;--> statement-breakpoint
ALTER TABLE "key_permissions" ADD CONSTRAINT "key_permissions_permission_fk" FOREIGN KEY ("workspace_id","name") REFERENCES "public"."permissions"("workspace_id","slug") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_roles" ADD CONSTRAINT "key_roles_role_fk" FOREIGN KEY ("workspace_id","name") REFERENCES "public"."roles"("workspace_id","name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- "Which keys hold this permission / role" (deletes, the notices below) without a scan.
CREATE INDEX "key_permissions_name_idx" ON "key_permissions" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE INDEX "key_roles_name_idx" ON "key_roles" USING btree ("workspace_id","name");--> statement-breakpoint
-- A role's permissions changed (added, removed, or removed with a deleted permission): every key
-- holding the role must be forgotten by every verify cache at once. One notice per key hash
-- (identical notices of one transaction are delivered once); a role held by more keys than a
-- notice burst should carry makes every cache start afresh ('*') instead. Statement-level, so a
-- setRolePermissions of many permissions looks the keys up once.
CREATE FUNCTION "keyhold_notify_role_keys"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  holders bigint;
BEGIN
  SELECT count(*) INTO holders FROM "key_roles" kr JOIN "roles" r ON r."workspace_id" = kr."workspace_id" AND r."name" = kr."name"
    WHERE r."id" IN (SELECT DISTINCT "role_id" FROM changed);
  IF holders > 1000 THEN
    PERFORM pg_notify('keyhold_keys', '*');
  ELSE
    PERFORM pg_notify('keyhold_keys', k."hash")
      FROM "key_roles" kr JOIN "roles" r ON r."workspace_id" = kr."workspace_id" AND r."name" = kr."name" JOIN "keys" k ON k."id" = kr."key_id"
      WHERE r."id" IN (SELECT DISTINCT "role_id" FROM changed);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "role_permissions_notify_insert" AFTER INSERT ON "role_permissions" REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION "keyhold_notify_role_keys"();--> statement-breakpoint
CREATE TRIGGER "role_permissions_notify_delete" AFTER DELETE ON "role_permissions" REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION "keyhold_notify_role_keys"();--> statement-breakpoint
DROP FUNCTION "keyhold_derived_id"(text, text, text);
