-- The audit trail (src/audit/): an append-only hash chain per workspace. Each entry holds the
-- hash of the one before it (64 zeros for the first) and its own hash over its content and that
-- link, so `keyhold audit verify` finds an entry changed, deleted or reordered. audit_heads holds
-- each chain's last seq and hash: appends lock that row, so concurrent writers never fork a
-- chain, and a deleted last entry is found too. No foreign keys to what entries name: the trail
-- outlives the keys and users it records.
CREATE TABLE "audit_log" (
	"workspace_id" text COLLATE "C" NOT NULL,
	"seq" bigint NOT NULL,
	"id" text COLLATE "C" NOT NULL,
	"at" bigint NOT NULL,
	"event" text NOT NULL,
	"activity_id" text COLLATE "C",
	"activity_type" text,
	"user_id" text COLLATE "C",
	"root_key_id" text COLLATE "C",
	"api_id" text COLLATE "C",
	"key_id" text COLLATE "C",
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_log_pk" PRIMARY KEY("workspace_id","seq")
);
--> statement-breakpoint
CREATE TABLE "audit_heads" (
	"workspace_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
-- Entries recorded but not yet linked: a request writes here, in its own transaction, without
-- waiting for the chain's lock; the chainer (src/audit/chain.ts) moves them onto the chain in
-- order, soon after and before every read of the trail.
CREATE TABLE "audit_pending" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"at" bigint NOT NULL,
	"event" text NOT NULL,
	"activity_id" text COLLATE "C",
	"activity_type" text,
	"user_id" text COLLATE "C",
	"root_key_id" text COLLATE "C",
	"api_id" text COLLATE "C",
	"key_id" text COLLATE "C",
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_heads" ADD CONSTRAINT "audit_heads_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_pending" ADD CONSTRAINT "audit_pending_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_pending_workspace_idx" ON "audit_pending" USING btree ("workspace_id","at","id");--> statement-breakpoint
-- audit.listLogs filters a SIEM uses most: by key and by user, in chain order.
CREATE INDEX "audit_log_key_idx" ON "audit_log" USING btree ("workspace_id","key_id","seq") WHERE "audit_log"."key_id" is not null;--> statement-breakpoint
CREATE INDEX "audit_log_user_idx" ON "audit_log" USING btree ("workspace_id","user_id","seq") WHERE "audit_log"."user_id" is not null;--> statement-breakpoint
-- Append-only for the application: an UPDATE, DELETE or TRUNCATE is refused. (Whoever owns the
-- database can still disable this; the hash chain is what shows that they did.)
CREATE FUNCTION keyhold_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION keyhold_audit_append_only();--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION keyhold_audit_append_only();
