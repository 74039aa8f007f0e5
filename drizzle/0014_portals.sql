-- Portals (src/portal/): a workspace's configuration of the end-user portal (which APIs it
-- shows, where it sends users back, its branding), and the sessions minted for it. A session
-- is one row through its life: first a single-use exchange code (only its SHA-256), then, once
-- exchanged, an access token (only its SHA-256); expired rows are swept by `keyhold serve`.
CREATE TABLE "portals" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"api_ids" text[] NOT NULL,
	"return_url" text,
	"branding" jsonb,
	"created_at" bigint NOT NULL,
	"updated_at" bigint
);
--> statement-breakpoint
CREATE TABLE "portal_sessions" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"portal_id" text COLLATE "C" NOT NULL,
	"identity_id" text COLLATE "C" NOT NULL,
	"external_id" text NOT NULL,
	"scopes" text[] NOT NULL,
	"preview" boolean DEFAULT false NOT NULL,
	"return_url" text,
	"root_key_id" text COLLATE "C" NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	"code_hash" text,
	"code_expires_at" bigint NOT NULL,
	"token_hash" text,
	"expires_at" bigint,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "portals" ADD CONSTRAINT "portals_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portal_sessions" ADD CONSTRAINT "portal_sessions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portal_sessions" ADD CONSTRAINT "portal_sessions_portal_id_portals_id_fk" FOREIGN KEY ("portal_id") REFERENCES "public"."portals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "portals_workspace_idx" ON "portals" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "portal_sessions_code_hash_idx" ON "portal_sessions" USING btree ("code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "portal_sessions_token_hash_idx" ON "portal_sessions" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "portal_sessions_portal_idx" ON "portal_sessions" USING btree ("portal_id");
