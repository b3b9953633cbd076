-- Upload attempts of document files (API.md §15): a row per R2 object an upload is about to put
-- (key: the object's key), written BEFORE the put and removed by the D1 batch that commits the
-- upload. A row left behind is an attempt that never committed (a crash, a refused batch whose
-- cleanup was lost): the cron sweep removes its object and then the row. swept_at: when the sweep
-- claimed it (a claimed attempt can no longer commit: the upload's batch checks swept_at IS NULL).
-- A presigned upload (POST …/file/upload-url) declares its size, sha256 (hex) and content_type,
-- which POST …/file/complete checks the object against; its `at` is the URL's expiry (the bytes may
-- start to arrive until then). NULL for a PUT …/file, whose bytes are hashed as they stream.
CREATE TABLE `upload_attempts` (
	`key` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`document_id` text NOT NULL,
	`at` text NOT NULL,
	`swept_at` text,
	`size` integer,
	`sha256` text,
	`content_type` text
);
--> statement-breakpoint
CREATE INDEX `upload_attempts_at` ON `upload_attempts` (`at`);
