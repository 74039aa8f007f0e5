-- Policy caches also keep what policies read of an activity's API and initiator
-- (src/policies/policy-cache.ts): a change of either announces its workspace on
-- `keyhold_policies` with 0011's function, as a policy change does, so every instance reads it
-- again. Inserts need no notice: a record the cache has not found is never kept.
CREATE TRIGGER apis_notify_policy_facts AFTER UPDATE OR DELETE ON apis FOR EACH ROW
  EXECUTE FUNCTION keyhold_notify_policies();
--> statement-breakpoint
CREATE TRIGGER users_notify_policy_facts AFTER UPDATE OR DELETE ON users FOR EACH ROW
  EXECUTE FUNCTION keyhold_notify_policies();
