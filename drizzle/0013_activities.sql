-- Activities (src/activities/): every mutating admin request and every decrypt read, with its
-- digest, initiator and outcome; those a policy or the root quorum holds wait here for approvals.
-- `input` is the validated request (secret fields sealed, see src/activities/seal.ts); a result
-- holding a secret rests only as `result_sealed`, a JWE to a key only the initiator's root key opens.
CREATE TABLE "activities" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"type" text NOT NULL,
	"operation" text NOT NULL,
	"path" text NOT NULL,
	"status" text NOT NULL,
	"digest" text NOT NULL,
	"params" jsonb NOT NULL,
	"input" jsonb,
	"initiator_user_id" text COLLATE "C" NOT NULL,
	"initiator_root_key_id" text COLLATE "C" NOT NULL,
	"api_id" text COLLATE "C",
	"key_id" text COLLATE "C",
	"result" jsonb,
	"result_status" integer,
	"result_sealed" text,
	"seal_public_key" jsonb,
	"seal_private_key" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"expires_at" bigint
);
--> statement-breakpoint
CREATE TABLE "activity_approvals" (
	"activity_id" text COLLATE "C" NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	"root_key_id" text COLLATE "C" NOT NULL,
	"decision" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "activity_approvals_activity_id_user_id_pk" PRIMARY KEY("activity_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_approvals" ADD CONSTRAINT "activity_approvals_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activities_workspace_idx" ON "activities" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "activities_waiting_idx" ON "activities" USING btree ("workspace_id","status");--> statement-breakpoint
-- The root quorum (src/activities/quorum.ts): while threshold > 1, what it guards needs that many of these users.
ALTER TABLE "workspaces" ADD COLUMN "quorum_user_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "quorum_threshold" integer DEFAULT 1 NOT NULL;
--> statement-breakpoint
-- A quorum change reaches every instance's cache of the workspace's custody rules (src/policies/policy-cache.ts) on the policies' channel.
CREATE OR REPLACE FUNCTION keyhold_notify_quorum() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keyhold_policies', NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER workspaces_quorum_notify AFTER UPDATE OF quorum_user_ids, quorum_threshold ON workspaces FOR EACH ROW EXECUTE FUNCTION keyhold_notify_quorum();
