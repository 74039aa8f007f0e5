-- Users (src/users/): the people of a workspace. Every root key belongs to one, so that quorum
-- counts people, not keys. Deleting is soft; a user holding live root keys cannot be deleted.
CREATE TABLE "users" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"deleted_at" bigint
);
--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "users_workspace_idx" ON "users" USING btree ("workspace_id","id");--> statement-breakpoint
ALTER TABLE "root_keys" ADD COLUMN "user_id" text COLLATE "C";--> statement-breakpoint
-- Every workspace holding root keys (live or revoked, its own state aside) gets one first user,
-- "Owner", who holds all of them. Its id is derived, so the migration gives the same id on every
-- run: 'usr_' + 22 base58 digits of the first 128 bits of SHA-256(workspace NUL 'Owner').
CREATE FUNCTION keyhold_derived_id_0009(prefix text, workspace text, name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
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
INSERT INTO "users" ("id", "workspace_id", "name", "created_at")
SELECT keyhold_derived_id_0009('usr', "workspace_id", 'Owner'), "workspace_id", 'Owner', min("created_at")
FROM "root_keys" GROUP BY "workspace_id";--> statement-breakpoint
DROP FUNCTION keyhold_derived_id_0009(text, text, text);--> statement-breakpoint
UPDATE "root_keys" r SET "user_id" = u."id" FROM "users" u WHERE u."workspace_id" = r."workspace_id";--> statement-breakpoint
ALTER TABLE "root_keys" ALTER COLUMN "user_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "root_keys" ADD CONSTRAINT "root_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- deleteUser asks whether the user still holds a live root key.
CREATE INDEX "root_keys_user_idx" ON "root_keys" USING btree ("user_id") WHERE "root_keys"."deleted_at" is null;--> statement-breakpoint
-- Root-key caches hold the user with the key: a change of it is announced like the others.
DROP TRIGGER root_keys_notify_update ON root_keys;--> statement-breakpoint
CREATE TRIGGER root_keys_notify_update AFTER UPDATE ON root_keys FOR EACH ROW
  WHEN (ROW(OLD.hash, OLD.workspace_id, OLD.user_id, OLD.permissions, OLD.expires, OLD.deleted_at)
        IS DISTINCT FROM ROW(NEW.hash, NEW.workspace_id, NEW.user_id, NEW.permissions, NEW.expires, NEW.deleted_at))
  EXECUTE FUNCTION keyhold_notify_root_key();
