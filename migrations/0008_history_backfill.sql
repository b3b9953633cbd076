-- Clients stored before history was kept (before 0003) have no chain. Listed here, in SQL, once;
-- the cron's backfill (src/write/backfill.ts) writes each one's creation entry (SHA-256 and gzip
-- cannot be done in SQL) and removes its row in the same batch.
CREATE TABLE `history_backfill` (
	`client_id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `history_backfill` (`client_id`, `tenant_id`)
SELECT c.`id`, c.`tenant_id` FROM `clients` c
WHERE NOT EXISTS (SELECT 1 FROM `client_history` h WHERE h.`client_id` = c.`id`);
