-- Verify caches on every instance listen on `keyhold_keys`: the payload is the hash of a key
-- whose verify-relevant state changed, or '*' to drop everything. Credit spending alone
-- (remaining/last_refill_at) does not notify: it is checked in the database on every verify.
CREATE OR REPLACE FUNCTION keyhold_notify_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('keyhold_keys', OLD.hash);
    RETURN OLD;
  END IF;
  PERFORM pg_notify('keyhold_keys', NEW.hash);
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER keys_notify_insert_delete AFTER INSERT OR DELETE ON keys
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_key();
--> statement-breakpoint
CREATE TRIGGER keys_notify_update AFTER UPDATE ON keys FOR EACH ROW
  WHEN ((OLD.remaining IS NULL) IS DISTINCT FROM (NEW.remaining IS NULL)
    OR ROW(OLD.hash, OLD.workspace_id, OLD.api_id, OLD.name, OLD.owner_id, OLD.meta, OLD.environment, OLD.enabled,
           OLD.expires, OLD.refill_interval, OLD.refill_amount, OLD.refill_day, OLD.ratelimit_limit,
           OLD.ratelimit_duration, OLD.ratelimit_async, OLD.deleted_at)
       IS DISTINCT FROM
       ROW(NEW.hash, NEW.workspace_id, NEW.api_id, NEW.name, NEW.owner_id, NEW.meta, NEW.environment, NEW.enabled,
           NEW.expires, NEW.refill_interval, NEW.refill_amount, NEW.refill_day, NEW.ratelimit_limit,
           NEW.ratelimit_duration, NEW.ratelimit_async, NEW.deleted_at))
  EXECUTE FUNCTION keyhold_notify_key();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION keyhold_notify_key_names() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed_key text;
BEGIN
  IF TG_OP = 'DELETE' THEN changed_key := OLD.key_id; ELSE changed_key := NEW.key_id; END IF;
  PERFORM pg_notify('keyhold_keys', hash) FROM keys WHERE id = changed_key;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER key_permissions_notify AFTER INSERT OR DELETE ON key_permissions
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_key_names();
--> statement-breakpoint
CREATE TRIGGER key_roles_notify AFTER INSERT OR DELETE ON key_roles
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_key_names();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION keyhold_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keyhold_keys', '*');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER apis_notify AFTER UPDATE OF deleted_at ON apis FOR EACH STATEMENT EXECUTE FUNCTION keyhold_notify_all();
--> statement-breakpoint
CREATE TRIGGER workspaces_notify AFTER UPDATE OF deleted_at ON workspaces FOR EACH STATEMENT EXECUTE FUNCTION keyhold_notify_all();
