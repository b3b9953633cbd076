DROP INDEX `idempotency_keys_tenant_key`;--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `part` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `headers` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_keys_tenant_key_part` ON `idempotency_keys` (`tenant_id`,`key`,`part`);