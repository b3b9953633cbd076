CREATE TABLE `client_history` (
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`part` integer NOT NULL,
	`parts` integer,
	`at` text,
	`operation` text,
	`hash` text,
	`linked` text,
	`body` text NOT NULL,
	PRIMARY KEY(`client_id`, `sequence`, `part`)
);
--> statement-breakpoint
CREATE INDEX `client_history_deletions` ON `client_history` (`at`) WHERE "client_history"."operation" = 'delete';--> statement-breakpoint
CREATE TABLE `event_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`type` text NOT NULL,
	`created_at` text NOT NULL,
	`queued_at` text
);
--> statement-breakpoint
CREATE INDEX `event_outbox_unqueued` ON `event_outbox` (`created_at`) WHERE "event_outbox"."queued_at" IS NULL;--> statement-breakpoint
CREATE INDEX `event_outbox_client` ON `event_outbox` (`client_id`,`sequence`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`events` text NOT NULL,
	`secret` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_tenant` ON `webhook_endpoints` (`tenant_id`,`created_at`,`id`);