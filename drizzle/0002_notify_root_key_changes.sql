-- Root-key caches on every instance listen on `keyhold_root_keys`: the payload is the hash of a
-- root key whose permissions, expiry, workspace or deletion changed, or '*' to drop everything
-- (a workspace deleted or restored). A new root key needs no notice: unknown ones are never cached.
CREATE OR REPLACE FUNCTION keyhold_notify_root_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keyhold_root_keys', OLD.hash);
  IF TG_OP = 'UPDATE' AND NEW.hash IS DISTINCT FROM OLD.hash THEN
    PERFORM pg_notify('keyhold_root_keys', NEW.hash);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER root_keys_notify_delete AFTER DELETE ON root_keys FOR EACH ROW EXECUTE FUNCTION keyhold_notify_root_key();
--> statement-breakpoint
CREATE TRIGGER root_keys_notify_update AFTER UPDATE ON root_keys FOR EACH ROW
  WHEN (ROW(OLD.hash, OLD.workspace_id, OLD.permissions, OLD.expires, OLD.deleted_at)
        IS DISTINCT FROM ROW(NEW.hash, NEW.workspace_id, NEW.permissions, NEW.expires, NEW.deleted_at))
  EXECUTE FUNCTION keyhold_notify_root_key();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION keyhold_notify_all_root_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keyhold_root_keys', '*');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER workspaces_notify_root_keys AFTER UPDATE OF deleted_at ON workspaces
  FOR EACH STATEMENT EXECUTE FUNCTION keyhold_notify_all_root_keys();
