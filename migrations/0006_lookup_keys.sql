-- Lookup keys (API.md §14, issue 21): each identifier of a client graph, normalized; kept by the
-- write batch itself (src/write/runner.ts lookupKeyWrites, src/db/lookup-keys.ts). The backfill
-- below is src/db/lookup-keys.ts keysSelectSql over every existing row (same expressions).
CREATE TABLE `client_lookup_keys` (
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`normalized` text NOT NULL,
	`key` text,
	`client_id` text NOT NULL,
	`child_id` text,
	`deleted_at` text,
	`deleted_client` text
);
--> statement-breakpoint
CREATE INDEX `client_lookup_keys_lookup` ON `client_lookup_keys` (`tenant_id`,`kind`,`normalized`);--> statement-breakpoint
CREATE INDEX `client_lookup_keys_source` ON `client_lookup_keys` (`client_id`,`child_id`);--> statement-breakpoint
INSERT INTO client_lookup_keys (tenant_id, kind, normalized, key, client_id, child_id, deleted_at, deleted_client)
SELECT tenant_id, kind, normalized, key, client_id, child_id, NULL, NULL FROM (
SELECT c.tenant_id AS tenant_id, kd.value AS kind, CASE kd.value WHEN 'rfc' THEN upper(replace(replace(replace(json_extract(c.scope_data, '$.MX.rfc'), ' ', ''), '.', ''), '-', '')) WHEN 'curp' THEN upper(replace(replace(replace(json_extract(c.scope_data, '$.MX.curp'), ' ', ''), '.', ''), '-', '')) ELSE c.external_id END AS normalized, NULL AS key, c.id AS client_id, NULL AS child_id FROM clients c, json_each('["rfc","curp","externalId"]') kd WHERE 1
UNION ALL
SELECT c.tenant_id, 'metadata', md.value, md.key, c.id, NULL FROM clients c, json_each(c.metadata) md WHERE 1 AND md.type = 'text' AND length(md.value) <= 255
UNION ALL
SELECT m.tenant_id, CASE WHEN m.type = 'email' THEN 'email' ELSE 'phone' END, CASE WHEN m.type = 'email' THEN lower(trim(m.value)) ELSE (SELECT CASE WHEN length(p.d) = 13 AND substr(p.d, 1, 3) = '521' THEN substr(p.d, 4) WHEN length(p.d) = 12 AND substr(p.d, 1, 2) = '52' THEN substr(p.d, 3) ELSE p.d END FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(m.value, ' ', ''), '+', ''), '.', ''), '-', ''), '(', ''), ')', ''), char(9), ''), char(10), ''), char(13), '') AS d) p) END, NULL, m.client_id, m.id FROM contact_methods m WHERE 1 AND m.type IN ('email', 'phone', 'mobile', 'fax')
UNION ALL
SELECT b.tenant_id, kd.value, CASE kd.value WHEN 'clabe' THEN upper(replace(replace(replace(b.clabe, ' ', ''), '.', ''), '-', '')) ELSE upper(replace(replace(replace(b.account_number, ' ', ''), '.', ''), '-', '')) END, NULL, b.client_id, b.id FROM bank_accounts b, json_each('["clabe","accountNumber"]') kd WHERE 1
) WHERE normalized IS NOT NULL AND normalized <> '';
