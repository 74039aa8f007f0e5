-- Verification analytics (src/analytics/): counts per key, outcome and tag set, in minute
-- buckets for the recent days and hour buckets after that. Both tables are partitioned by
-- day on "time" (the bucket's start, Unix ms): the service creates partitions ahead and
-- retires old ones by dropping them (a minute partition after rolling it up into hours, an
-- hour partition past retention), so pruning never deletes row by row and each index stays
-- one day small. No foreign keys: counts outlive a deleted key until retention drops them.
CREATE TABLE "key_verifications_minute" (
	"time" bigint NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"api_id" text COLLATE "C" NOT NULL,
	"key_id" text COLLATE "C" NOT NULL,
	"outcome" text NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"tags_hash" text DEFAULT '' NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "key_verifications_minute_pk" PRIMARY KEY("key_id","time","outcome","tags_hash")
) PARTITION BY RANGE ("time");--> statement-breakpoint
CREATE INDEX "key_verifications_minute_api_idx" ON "key_verifications_minute" USING btree ("api_id","time");--> statement-breakpoint
CREATE INDEX "key_verifications_minute_workspace_idx" ON "key_verifications_minute" USING btree ("workspace_id","time");--> statement-breakpoint
CREATE TABLE "key_verifications_hour" (
	"time" bigint NOT NULL,
	"workspace_id" text COLLATE "C" NOT NULL,
	"api_id" text COLLATE "C" NOT NULL,
	"key_id" text COLLATE "C" NOT NULL,
	"outcome" text NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"tags_hash" text DEFAULT '' NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "key_verifications_hour_pk" PRIMARY KEY("key_id","time","outcome","tags_hash")
) PARTITION BY RANGE ("time");--> statement-breakpoint
CREATE INDEX "key_verifications_hour_api_idx" ON "key_verifications_hour" USING btree ("api_id","time");--> statement-breakpoint
CREATE INDEX "key_verifications_hour_workspace_idx" ON "key_verifications_hour" USING btree ("workspace_id","time");
