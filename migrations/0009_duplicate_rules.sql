-- Duplicate rules (API.md §14, issue 21): per tenant (and so per environment: one database each),
-- "allow" or "reject" for each of RFC, CURP and CLABE; no row = all "allow". Under "reject" the
-- database itself refuses a second live client with the same identifier: the lookup keys of a
-- rejected kind are written `exclusive` (by the keys' INSERT, from this table, in the write's own
-- batch) and a UNIQUE partial index admits one live exclusive key per (tenant, kind, value).
-- src/db/duplicates.ts and src/db/lookup-keys.ts; docs/DECISIONS.md "Lookup and duplicates". The
-- last statement backfills the name search's keys (kind nameBlock) of every existing client.
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
--> statement-breakpoint
-- Name search (API.md §14, GET /clients/search): the blocking keys of every existing client's name
-- (kind nameBlock), with the expressions of src/db/lookup-keys.ts nameKeysSelectSql.
INSERT INTO client_lookup_keys (tenant_id, kind, normalized, key, client_id, child_id, deleted_at, deleted_client, exclusive)
SELECT tenant_id, kind, normalized, key, client_id, child_id, NULL, NULL, 0 FROM (
SELECT c.tenant_id AS tenant_id, 'nameBlock' AS kind, hk.value AS normalized, nm.value AS key, c.id AS client_id, NULL AS child_id FROM clients c, json_each(json_array(lower(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(c.name || ' ' || coalesce(c.middle_name, '') || ' ' || coalesce(c.last_name, ''), 'á', 'a'), 'é', 'e'), 'í', 'i'), 'ó', 'o'), 'ú', 'u'), 'ü', 'u'), 'ñ', 'n'), 'Á', 'a'), 'É', 'e'), 'Í', 'i'), 'Ó', 'o'), 'Ú', 'u'), 'Ü', 'u'), 'Ñ', 'n'), '.', ' '), ',', ' '), '-', ' '), '''', ' '), '"', ' '), '(', ' '), ')', ' '), '/', ' '), '&', ' '), char(9), ' '))))) nm, json_each('[' || replace(json_quote(nm.value), ' ', '","') || ']') w, json_each(CASE WHEN length(w.value) >= 4 THEN json_array('l:' || substr(w.value, 1, length(w.value) / 2), 'r:' || substr(w.value, length(w.value) - length(w.value) / 2 + 1)) ELSE json_array('x:' || w.value) END) hk WHERE 1 AND w.key < 8 AND length(w.value) >= 2 AND w.value NOT IN ('sa', 'cv', 'sapi', 'sab', 'rl', 'srl', 'sc', 'ac', 'sofom', 'enr', 'de', 'del', 'la', 'las', 'el', 'los', 'y')
) WHERE normalized IS NOT NULL AND normalized <> '';
