-- Duplicate rules (API.md §14, issue 21): per tenant (and so per environment: one database each),
-- "allow" or "reject" for each of RFC, CURP and CLABE; no row = all "allow". Under "reject" the
-- database itself refuses a second live client with the same identifier: the lookup keys of a
-- rejected kind are written `exclusive` (by the keys' INSERT, from this table, in the write's own
-- batch) and a UNIQUE partial index admits one live exclusive key per (tenant, kind, value).
-- src/db/duplicates.ts and src/db/lookup-keys.ts; docs/DECISIONS.md "Lookup and duplicates".
CREATE TABLE `duplicate_rules` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`rfc` text DEFAULT 'allow' NOT NULL,
	`curp` text DEFAULT 'allow' NOT NULL,
	`clabe` text DEFAULT 'allow' NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `client_lookup_keys` ADD `exclusive` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `client_lookup_keys_exclusive` ON `client_lookup_keys` (`tenant_id`,`kind`,`normalized`) WHERE deleted_at IS NULL AND exclusive = 1;
