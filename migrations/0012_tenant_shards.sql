-- Shards (API.md §17): a tenant lives in one shard of each environment; `npm run tenant -- move`
-- moves it (scripts/lib/tenant-move.ts).
-- On the shard a tenant left, its keys stay, naming the shard it moved to: a request with such a
-- key is followed there (src/http/auth.ts). NULL on the tenant's own shard.
ALTER TABLE `api_keys` ADD `moved_to` integer;
--> statement-breakpoint
-- A move in progress, on its source shard: the target, and when it started. While the row is
-- here the move's triggers refuse the tenant's writes on this shard (503 + Retry-After).
CREATE TABLE `tenant_moves` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`to_shard` integer NOT NULL,
	`started_at` text NOT NULL
);
