-- API.md §16: the completeness of each client's expediente, kept by every write batch (db/completeness.ts).
-- complete: 1 complete, 0 not, NULL unknown. No backfill UPDATE here: existing clients start NULL
-- (unknown; GET /clients?complete= lists neither way) and the cron computes them, 100 per minute and
-- environment, through clients_complete_unknown (src/write/completeness-cron.ts); any write to a client
-- computes it at once. complete_until: for a complete client, the first expiry date of a document that
-- may count; the cron computes the client again once it has passed.
ALTER TABLE `clients` ADD `complete` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `complete_until` text;--> statement-breakpoint
CREATE INDEX `clients_tenant_complete_created` ON `clients` (`tenant_id`,`complete`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `clients_complete_unknown` ON `clients` (`id`) WHERE "clients"."complete" IS NULL;--> statement-breakpoint
CREATE INDEX `clients_complete_until` ON `clients` (`complete_until`) WHERE "clients"."complete_until" IS NOT NULL;
