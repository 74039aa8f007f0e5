-- Policy caches also keep what policies read of an activity's API and initiator
-- (src/policies/policy-cache.ts): a change of either announces its workspace on
-- `keyhold_policies`, as a policy change does (0011), so every instance reads it again.
CREATE OR REPLACE FUNCTION keyhold_notify_policy_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keyhold_policies', OLD.workspace_id);
  IF TG_OP = 'UPDATE' AND NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    PERFORM pg_notify('keyhold_policies', NEW.workspace_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER apis_notify_policy_facts AFTER UPDATE OR DELETE ON apis FOR EACH ROW
  EXECUTE FUNCTION keyhold_notify_policy_facts();
--> statement-breakpoint
CREATE TRIGGER users_notify_policy_facts AFTER UPDATE OR DELETE ON users FOR EACH ROW
  EXECUTE FUNCTION keyhold_notify_policy_facts();
