-- Policies (src/policies/): CEL expressions a workspace controls its activities with. `condition`
-- says which activities a policy applies to; `consensus` (null: always met) which approvals an
-- ALLOW needs. They are stored as sent; the API compiles them before storing and on every load.
CREATE TABLE "policies" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"effect" text NOT NULL,
	"condition" text NOT NULL,
	"consensus" text,
	"notes" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint,
	CONSTRAINT "policies_effect_check" CHECK ("effect" IN ('ALLOW', 'DENY'))
);
--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policies_workspace_idx" ON "policies" USING btree ("workspace_id","id");--> statement-breakpoint
-- Compiled-policy caches on every instance listen on `keyhold_policies`: the payload is the
-- workspace whose policies changed (its cached policies are dropped and read again).
CREATE OR REPLACE FUNCTION keyhold_notify_policies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('keyhold_policies', OLD.workspace_id);
  ELSE
    PERFORM pg_notify('keyhold_policies', NEW.workspace_id);
    IF TG_OP = 'UPDATE' AND NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
      PERFORM pg_notify('keyhold_policies', OLD.workspace_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER policies_notify AFTER INSERT OR UPDATE OR DELETE ON policies
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_policies();
