ALTER TABLE `idempotency_keys` ADD `parts` integer;--> statement-breakpoint
-- Written by hand (drizzle-kit generates only the line above): records stored before this migration
-- get their part count from the parts they still have. One the old purge cut lost part 0 first
-- (it deleted the oldest rows), so it gets no count and is seen as incomplete, never replayed.
UPDATE `idempotency_keys` SET `parts` = (SELECT max(`k`.`part`) + 1 FROM `idempotency_keys` AS `k` WHERE `k`.`tenant_id` = `idempotency_keys`.`tenant_id` AND `k`.`key` = `idempotency_keys`.`key`) WHERE `part` = 0;
