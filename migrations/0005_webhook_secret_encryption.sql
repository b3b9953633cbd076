-- Webhook secrets at rest (issue 20, API.md §12). `secret` now holds `v1.<keyId>.<iv>.<ciphertext>`
-- (AES-GCM, src/events/secret-box.ts); `secret_key_id` names the key it is sealed under, NULL for a
-- row still holding the plain `whsec_…` it was written with. SQL cannot encrypt: existing rows are
-- sealed by `npm run webhook-secrets -- encrypt` (run by `npm start` and `npm run deploy`), and
-- read as plain until then.
ALTER TABLE `webhook_endpoints` ADD `secret_key_id` text;
