// npm start's .dev.vars placeholders of the R2 S3 credentials (scripts/lib/presign-vars.ts): added
// when missing, a value already there never replaced, a second run adds nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureS3Placeholders, S3_PLACEHOLDERS } from "../../scripts/lib/presign-vars";

const temp = mkdtempSync(join(tmpdir(), "clients-api-presign-vars-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe(".dev.vars placeholders for presigned uploads", () => {
  it("adds the missing ones after what is there, keeps a value already set, and is idempotent", () => {
    const path = join(temp, ".dev.vars");
    writeFileSync(path, "WEBHOOK_SECRET_KEY_ID=k\nR2_ACCESS_KEY_ID=mine\n");
    expect(ensureS3Placeholders(path)).toEqual(["R2_ACCOUNT_ID", "R2_SECRET_ACCESS_KEY"]);
    const text = readFileSync(path, "utf8");
    expect(text.startsWith("WEBHOOK_SECRET_KEY_ID=k\nR2_ACCESS_KEY_ID=mine\n")).toBe(true);
    expect(text).toContain(`R2_ACCOUNT_ID=${S3_PLACEHOLDERS.R2_ACCOUNT_ID}`);
    expect(text).not.toContain(`R2_ACCESS_KEY_ID=${S3_PLACEHOLDERS.R2_ACCESS_KEY_ID}`);
    expect(ensureS3Placeholders(path)).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("creates the file when there is none", () => {
    const path = join(temp, "fresh.vars");
    expect(ensureS3Placeholders(path)).toHaveLength(3);
    expect(readFileSync(path, "utf8")).toMatch(/R2_SECRET_ACCESS_KEY=/);
  });
});
