// `npm start`'s placeholders for the R2 S3 API credentials of presigned uploads (API.md §15,
// src/files/presign.ts): written to .dev.vars (git-ignored) when it lacks them, never replacing a
// value there. Local R2 (miniflare) has no S3 API: URLs signed with these answer nothing; they let
// POST …/file/upload-url answer locally, as it does deployed with the real Worker secrets.
import { appendFileSync, chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { DEV_VARS, readDotenv } from "./webhook-secrets.ts";

export const S3_PLACEHOLDERS = {
  R2_ACCOUNT_ID: "00000000000000000000000000000000",
  R2_ACCESS_KEY_ID: "local-placeholder-access-key-id",
  R2_SECRET_ACCESS_KEY: "local-placeholder-secret-access-key",
} as const;

/** Adds the placeholders .dev.vars lacks; answers the names added. */
export function ensureS3Placeholders(path = DEV_VARS): string[] {
  const vars = readDotenv(path);
  const missing = Object.entries(S3_PLACEHOLDERS).filter(([name]) => vars[name] === undefined);
  if (missing.length === 0) return [];
  const lines = [
    "# Made by npm start: placeholders of the R2 S3 API credentials (presigned uploads). Local R2 has no S3",
    "# API: URLs signed with them cannot be used. Deployed, they are Worker secrets (README, Deploying).",
    ...missing.map(([name, value]) => `${name}=${value}`),
    "",
  ];
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (existing === "") writeFileSync(path, lines.join("\n"), { mode: 0o600 });
  else appendFileSync(path, `${existing.endsWith("\n") ? "" : "\n"}${lines.join("\n")}`);
  chmodSync(path, 0o600);
  return missing.map(([name]) => name);
}
