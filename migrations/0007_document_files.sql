-- Document files on R2 (API.md §15): what the upload of a document's file records on its row.
-- sha256: lower-case hex SHA-256 of the file; uploaded_at: when its upload committed; file_key:
-- the R2 object key holding it (one per upload attempt, so that a refused attempt never touches
-- the object of the one that committed). NULL on every document until its upload.
ALTER TABLE `documents` ADD `sha256` text;
--> statement-breakpoint
ALTER TABLE `documents` ADD `uploaded_at` text;
--> statement-breakpoint
ALTER TABLE `documents` ADD `file_key` text;
