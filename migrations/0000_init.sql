CREATE TABLE `addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`type` text NOT NULL,
	`is_primary` integer NOT NULL,
	`street` text NOT NULL,
	`city` text NOT NULL,
	`state` text NOT NULL,
	`postal_code` text NOT NULL,
	`country` text,
	`external_id` text,
	`metadata` text NOT NULL,
	`scope_data` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `addresses_tenant_external_id` ON `addresses` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `addresses_client` ON `addresses` (`client_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`permissions` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_prefix` ON `api_keys` (`prefix`);--> statement-breakpoint
CREATE TABLE `bank_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`account_number` text NOT NULL,
	`bank_name` text NOT NULL,
	`bank_code` text,
	`country` text NOT NULL,
	`currency` text NOT NULL,
	`type` text NOT NULL,
	`is_primary` integer NOT NULL,
	`is_active` integer NOT NULL,
	`label` text,
	`external_id` text,
	`metadata` text NOT NULL,
	`clabe` text,
	`codigo_banco` text,
	`codigo_plaza` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bank_accounts_tenant_external_id` ON `bank_accounts` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `bank_accounts_client` ON `bank_accounts` (`client_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `client_links` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`parent_client_id` text NOT NULL,
	`child_client_id` text NOT NULL,
	`relationship_type` text,
	`metadata` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`parent_client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`child_client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "client_links_not_self" CHECK("client_links"."parent_client_id" <> "client_links"."child_client_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `client_links_parent_child` ON `client_links` (`parent_client_id`,`child_client_id`);--> statement-breakpoint
CREATE INDEX `client_links_child` ON `client_links` (`child_client_id`);--> statement-breakpoint
CREATE TABLE `clients` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`middle_name` text,
	`last_name` text,
	`is_primary` integer NOT NULL,
	`nationalities` text NOT NULL,
	`scopes` text NOT NULL,
	`external_id` text,
	`metadata` text NOT NULL,
	`birth_date` text,
	`scope_data` text NOT NULL,
	`employment` text,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_tenant_external_id` ON `clients` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `clients_tenant_created` ON `clients` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `contact_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`type` text NOT NULL,
	`value` text NOT NULL,
	`is_primary` integer NOT NULL,
	`label` text,
	`external_id` text,
	`metadata` text NOT NULL,
	`is_verified` integer NOT NULL,
	`verified_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contact_methods_tenant_external_id` ON `contact_methods` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `contact_methods_client` ON `contact_methods` (`client_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`type` text NOT NULL,
	`category` text,
	`expires_at` text,
	`external_id` text,
	`metadata` text NOT NULL,
	`fields` text NOT NULL,
	`filename` text,
	`content_type` text,
	`size` integer,
	`status` text NOT NULL,
	`verified_at` text,
	`verified_by` text,
	`rejection_reason` text,
	`reviewed_at` text,
	`reviewed_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `documents_tenant_external_id` ON `documents` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `documents_client` ON `documents` (`client_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_keys_tenant_key` ON `idempotency_keys` (`tenant_id`,`key`);--> statement-breakpoint
CREATE INDEX `idempotency_keys_created` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `write_guards` (
	`ok` integer NOT NULL,
	CONSTRAINT "stale_graph" CHECK("write_guards"."ok" = 1)
);
