CREATE TABLE "apis" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"recovery_enabled" boolean DEFAULT false NOT NULL,
	"created_at" bigint NOT NULL,
	"deleted_at" bigint
);
--> statement-breakpoint
CREATE TABLE "key_permissions" (
	"key_id" text COLLATE "C" NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "key_permissions_key_id_name_pk" PRIMARY KEY("key_id","name")
);
--> statement-breakpoint
CREATE TABLE "key_roles" (
	"key_id" text COLLATE "C" NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "key_roles_key_id_name_pk" PRIMARY KEY("key_id","name")
);
--> statement-breakpoint
CREATE TABLE "keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"api_id" text COLLATE "C" NOT NULL,
	"hash" text NOT NULL,
	"start" text NOT NULL,
	"name" text,
	"owner_id" text,
	"meta" jsonb,
	"environment" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"expires" bigint,
	"remaining" integer,
	"refill_interval" text,
	"refill_amount" integer,
	"refill_day" integer,
	"last_refill_at" bigint,
	"ratelimit_limit" integer,
	"ratelimit_duration" integer,
	"ratelimit_async" boolean,
	"encrypted" text,
	"encryption_key_id" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint,
	"deleted_at" bigint
);
--> statement-breakpoint
CREATE TABLE "ratelimit_windows" (
	"key_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"window_start" bigint NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "ratelimit_windows_key_id_name_pk" PRIMARY KEY("key_id","name")
);
--> statement-breakpoint
CREATE TABLE "root_keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"name" text,
	"hash" text NOT NULL,
	"start" text NOT NULL,
	"permissions" text[] NOT NULL,
	"created_by" text COLLATE "C",
	"created_at" bigint NOT NULL,
	"expires" bigint,
	"deleted_at" bigint
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"deleted_at" bigint
);
--> statement-breakpoint
ALTER TABLE "apis" ADD CONSTRAINT "apis_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_permissions" ADD CONSTRAINT "key_permissions_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_roles" ADD CONSTRAINT "key_roles_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "keys" ADD CONSTRAINT "keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "keys" ADD CONSTRAINT "keys_api_id_apis_id_fk" FOREIGN KEY ("api_id") REFERENCES "public"."apis"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ratelimit_windows" ADD CONSTRAINT "ratelimit_windows_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "root_keys" ADD CONSTRAINT "root_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "apis_workspace_idx" ON "apis" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "keys_hash_idx" ON "keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "keys_api_idx" ON "keys" USING btree ("api_id","id") WHERE "keys"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "keys_workspace_idx" ON "keys" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "root_keys_hash_idx" ON "root_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "root_keys_workspace_idx" ON "root_keys" USING btree ("workspace_id","id");