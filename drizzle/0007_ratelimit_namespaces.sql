-- Standalone rate limits (src/ratelimits/): namespaces per workspace, found by name or id, and
-- overrides per {namespace, identifier} (an identifier with `*` is a wildcard pattern). Their
-- counters are rows of ratelimit_windows like every other limit (subject = the namespace id).
CREATE TABLE "ratelimit_namespaces" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ratelimit_overrides" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"namespace_id" text COLLATE "C" NOT NULL,
	"identifier" text NOT NULL,
	"limit" integer NOT NULL,
	"duration" bigint NOT NULL,
	"async" boolean,
	"created_at" bigint NOT NULL,
	"updated_at" bigint
);
--> statement-breakpoint
ALTER TABLE "ratelimit_namespaces" ADD CONSTRAINT "ratelimit_namespaces_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ratelimit_overrides" ADD CONSTRAINT "ratelimit_overrides_namespace_id_ratelimit_namespaces_id_fk" FOREIGN KEY ("namespace_id") REFERENCES "public"."ratelimit_namespaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ratelimit_namespaces_workspace_name_idx" ON "ratelimit_namespaces" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "ratelimit_overrides_namespace_identifier_idx" ON "ratelimit_overrides" USING btree ("namespace_id","identifier");--> statement-breakpoint
-- Namespace caches on every instance listen on `keyhold_ratelimits`: the payload is the workspace
-- whose namespaces or overrides changed (its cached namespaces are dropped and read again).
CREATE OR REPLACE FUNCTION keyhold_notify_ratelimits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('keyhold_ratelimits', OLD.workspace_id);
  ELSE
    PERFORM pg_notify('keyhold_ratelimits', NEW.workspace_id);
    IF TG_OP = 'UPDATE' AND NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
      PERFORM pg_notify('keyhold_ratelimits', OLD.workspace_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER ratelimit_namespaces_notify AFTER INSERT OR UPDATE OR DELETE ON ratelimit_namespaces
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_ratelimits();
--> statement-breakpoint
CREATE TRIGGER ratelimit_overrides_notify AFTER INSERT OR UPDATE OR DELETE ON ratelimit_overrides
  FOR EACH ROW EXECUTE FUNCTION keyhold_notify_ratelimits();
