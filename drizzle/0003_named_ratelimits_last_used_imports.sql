CREATE TABLE "imported_key_prefixes" (
	"workspace_id" text COLLATE "C" NOT NULL,
	"prefix" text NOT NULL,
	CONSTRAINT "imported_key_prefixes_workspace_id_prefix_pk" PRIMARY KEY("workspace_id","prefix")
);
--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "ratelimits" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "migration_id" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "last_used_at" bigint;--> statement-breakpoint
ALTER TABLE "imported_key_prefixes" ADD CONSTRAINT "imported_key_prefixes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- v1's one limit becomes the auto-applied limit named "default" (src/keys/key-ratelimits.ts).
UPDATE "keys" SET "ratelimits" = jsonb_build_array(jsonb_build_object(
  'id', 'rl_' || substr(md5("id"), 1, 22), 'name', 'default', 'limit', "ratelimit_limit", 'duration', "ratelimit_duration",
  'autoApply', true, 'async', coalesce("ratelimit_async", false)))
WHERE "ratelimit_limit" IS NOT NULL AND "ratelimit_duration" IS NOT NULL;--> statement-breakpoint
-- The update trigger names the old columns; it is rebuilt below on the new ones.
DROP TRIGGER keys_notify_update ON keys;--> statement-breakpoint
ALTER TABLE "keys" DROP COLUMN "ratelimit_limit";--> statement-breakpoint
ALTER TABLE "keys" DROP COLUMN "ratelimit_duration";--> statement-breakpoint
ALTER TABLE "keys" DROP COLUMN "ratelimit_async";--> statement-breakpoint
-- As in 0001, on what verify reads; not last_used_at (written in batches by verify itself,
-- it must not empty the caches it feeds) nor migration_id.
CREATE TRIGGER keys_notify_update AFTER UPDATE ON keys FOR EACH ROW
  WHEN ((OLD.remaining IS NULL) IS DISTINCT FROM (NEW.remaining IS NULL)
    OR ROW(OLD.hash, OLD.workspace_id, OLD.api_id, OLD.name, OLD.owner_id, OLD.meta, OLD.environment, OLD.enabled,
           OLD.expires, OLD.refill_interval, OLD.refill_amount, OLD.refill_day, OLD.ratelimits, OLD.deleted_at)
       IS DISTINCT FROM
       ROW(NEW.hash, NEW.workspace_id, NEW.api_id, NEW.name, NEW.owner_id, NEW.meta, NEW.environment, NEW.enabled,
           NEW.expires, NEW.refill_interval, NEW.refill_amount, NEW.refill_day, NEW.ratelimits, NEW.deleted_at))
  EXECUTE FUNCTION keyhold_notify_key();
--> statement-breakpoint
-- Every instance keeps the set of workspaces (and prefixes) holding imported keys; a new one
-- is announced on `keyhold_imports` (src/keys/imported-prefixes.ts).
CREATE OR REPLACE FUNCTION keyhold_notify_import() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keyhold_imports', NEW.workspace_id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER imported_key_prefixes_notify AFTER INSERT ON imported_key_prefixes
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_import();
