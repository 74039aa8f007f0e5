-- One window table for every kind of limit (keys, identities, standalone namespaces): the subject
-- is any id, so no foreign key; ended windows are pruned (src/ratelimits/windows.ts).
ALTER TABLE "ratelimit_windows" RENAME COLUMN "key_id" TO "subject_id";--> statement-breakpoint
ALTER TABLE "ratelimit_windows" DROP CONSTRAINT "ratelimit_windows_key_id_keys_id_fk";--> statement-breakpoint
ALTER TABLE "ratelimit_windows" DROP CONSTRAINT "ratelimit_windows_key_id_name_pk";--> statement-breakpoint
ALTER TABLE "ratelimit_windows" ADD CONSTRAINT "ratelimit_windows_subject_id_name_pk" PRIMARY KEY("subject_id","name");--> statement-breakpoint
ALTER TABLE "ratelimit_windows" ADD COLUMN "expires_at" bigint;--> statement-breakpoint
-- A window ends one duration after it starts: the key's stored limit of that name says how long;
-- an inline limit (not stored) gets the longest duration a request may give, so no window is pruned early.
UPDATE "ratelimit_windows" w SET "expires_at" = w."window_start" + coalesce(
  (SELECT (r->>'duration')::bigint FROM "keys" k, jsonb_array_elements(k."ratelimits") r WHERE k."id" = w."subject_id" AND r->>'name' = w."name" LIMIT 1),
  2147483647);--> statement-breakpoint
ALTER TABLE "ratelimit_windows" ALTER COLUMN "expires_at" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "ratelimit_windows_expires_idx" ON "ratelimit_windows" USING btree ("expires_at");