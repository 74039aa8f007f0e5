-- Identities: a customer owning several keys, with meta and rate limits shared by them all
-- (src/identities/). A key's owner (v1 ownerId, v2 externalId) is now the identity it links to.
CREATE TABLE "identities" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"external_id" text NOT NULL,
	"meta" jsonb,
	"ratelimits" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint,
	"deleted_at" bigint
);
--> statement-breakpoint
ALTER TABLE "identities" ADD CONSTRAINT "identities_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- One live identity per externalId and workspace; deleted ones (soft) keep theirs.
CREATE UNIQUE INDEX "identities_external_id_idx" ON "identities" USING btree ("workspace_id","external_id") WHERE "identities"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "identities_workspace_idx" ON "identities" USING btree ("workspace_id","id");--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "identity_id" text COLLATE "C";--> statement-breakpoint
ALTER TABLE "keys" ADD CONSTRAINT "keys_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "public"."identities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "keys_identity_idx" ON "keys" USING btree ("identity_id") WHERE "keys"."identity_id" is not null;--> statement-breakpoint
-- Existing owners become identities with the ids v2 already answered for them (derivedId in
-- src/ids.ts: 'id_' + 22 base58 digits of the first 128 bits of SHA-256(workspace NUL owner)).
CREATE FUNCTION keyhold_derived_id_0006(prefix text, workspace text, name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  digest bytea := sha256(convert_to(workspace, 'UTF8') || '\x00'::bytea || convert_to(name, 'UTF8'));
  digits text := '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  n numeric := 0;
  out text := '';
BEGIN
  FOR i IN 0..15 LOOP
    n := n * 256 + get_byte(digest, i);
  END LOOP;
  FOR i IN 1..22 LOOP
    out := substr(digits, (mod(n, 58))::int + 1, 1) || out;
    n := div(n, 58);
  END LOOP;
  RETURN prefix || '_' || out;
END $$;
--> statement-breakpoint
INSERT INTO "identities" ("id", "workspace_id", "external_id", "created_at")
SELECT keyhold_derived_id_0006('id', "workspace_id", "owner_id"), "workspace_id", "owner_id", min("created_at")
FROM "keys" WHERE "owner_id" IS NOT NULL GROUP BY "workspace_id", "owner_id";--> statement-breakpoint
DROP FUNCTION keyhold_derived_id_0006(text, text, text);--> statement-breakpoint
-- The update trigger names owner_id; it is rebuilt below on identity_id.
DROP TRIGGER keys_notify_update ON keys;--> statement-breakpoint
UPDATE "keys" k SET "identity_id" = i."id" FROM "identities" i
WHERE k."owner_id" IS NOT NULL AND i."workspace_id" = k."workspace_id" AND i."external_id" = k."owner_id";--> statement-breakpoint
ALTER TABLE "keys" DROP COLUMN "owner_id";--> statement-breakpoint
CREATE TRIGGER keys_notify_update AFTER UPDATE ON keys FOR EACH ROW
  WHEN ((OLD.remaining IS NULL) IS DISTINCT FROM (NEW.remaining IS NULL)
    OR ROW(OLD.hash, OLD.workspace_id, OLD.api_id, OLD.name, OLD.identity_id, OLD.meta, OLD.environment, OLD.enabled,
           OLD.expires, OLD.refill_interval, OLD.refill_amount, OLD.refill_day, OLD.ratelimits, OLD.deleted_at)
       IS DISTINCT FROM
       ROW(NEW.hash, NEW.workspace_id, NEW.api_id, NEW.name, NEW.identity_id, NEW.meta, NEW.environment, NEW.enabled,
           NEW.expires, NEW.refill_interval, NEW.refill_amount, NEW.refill_day, NEW.ratelimits, NEW.deleted_at))
  EXECUTE FUNCTION keyhold_notify_key();
--> statement-breakpoint
-- Verify caches hold each key with its identity (one join): a change of what verify reads of an
-- identity (meta, rate limits, deletion) announces every live key of it, or '*' past 1,000 keys,
-- where one notice per key would cost more than every instance reading its keys again.
CREATE OR REPLACE FUNCTION keyhold_notify_identity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  linked bigint;
BEGIN
  SELECT count(*) INTO linked FROM (SELECT 1 FROM keys WHERE identity_id = NEW.id AND deleted_at IS NULL LIMIT 1001) k;
  IF linked > 1000 THEN
    PERFORM pg_notify('keyhold_keys', '*');
  ELSE
    PERFORM pg_notify('keyhold_keys', hash) FROM keys WHERE identity_id = NEW.id AND deleted_at IS NULL;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER identities_notify_update AFTER UPDATE ON identities FOR EACH ROW
  WHEN (ROW(OLD.external_id, OLD.meta, OLD.ratelimits, OLD.deleted_at) IS DISTINCT FROM ROW(NEW.external_id, NEW.meta, NEW.ratelimits, NEW.deleted_at))
  EXECUTE FUNCTION keyhold_notify_identity();
