// `npm run webhook-secrets`, run for real (the project's Node, scripts/webhook-secrets.ts) on a
// temporary local state directory (CLIENTS_API_STATE_DIR), with its keys from the environment:
// `encrypt` seals the rows still plain (written before migration 0005) and touches nothing else,
// idempotently; `rotate` re-seals every row under the new current key id; a row that does not open
// is named, left as it is, and the exit code is 1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keyringOf, newKeyMaterial, open, seal } from "../../src/events/secret-box";
import { newSecret } from "../../src/events/signing";
import { localDatabaseWith, runScript } from "../support/local-script";

const temp = mkdtempSync(join(tmpdir(), "clients-api-webhook-secrets-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const OLD = { "cmd-1": newKeyMaterial() };
const ROTATED = { ...OLD, "cmd-2": newKeyMaterial() };
const keys = (all: Record<string, string>, current: string) => ({ WEBHOOK_SECRET_KEYS: JSON.stringify(all), WEBHOOK_SECRET_KEY_ID: current });

const command = (args: string[], env: Record<string, string | undefined>) => runScript("scripts/webhook-secrets.ts", join(temp, "state"), args, env);

/** The local DB_TEST_0 file: the one the first run migrated (the only one holding webhook_endpoints). */
const testDatabase = () => localDatabaseWith(join(temp, "state"), "webhook_endpoints");

async function storedRows(): Promise<Map<string, { secret: string; keyId: string | null }>> {
  const db = await testDatabase();
  const rows = db.prepare("SELECT id, secret, secret_key_id FROM webhook_endpoints ORDER BY id").all() as { id: string; secret: string; secret_key_id: string | null }[];
  db.close();
  return new Map(rows.map((r) => [r.id, { secret: r.secret, keyId: r.secret_key_id }]));
}

describe("npm run webhook-secrets", () => {
  it("encrypt seals the plain rows only, idempotently; rotate re-seals under the new key id; a row that does not open fails loudly", { timeout: 300_000 }, async () => {
    const first = await command(["encrypt", "--env", "test"], keys(OLD, "cmd-1"));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Encrypting the webhook secrets of local DB_TEST_0 (current key id "cmd-1", keys from the environment).');
    expect(first.stdout).toContain('Sealed 0 plain secrets under key id "cmd-1"; 0 rows already sealed (untouched).');

    // Three rows written before migration 0005 (plain), one sealed already.
    const plain = new Map(Array.from({ length: 3 }, () => [crypto.randomUUID(), newSecret()] as const));
    const sealedId = crypto.randomUUID();
    const sealedSecret = newSecret();
    const sealedBefore = (await seal(sealedSecret, await keyringOf(keys(OLD, "cmd-1")), sealedId)).sealed;
    const db = await testDatabase();
    const insert = db.prepare(
      "INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, secret, created_at, secret_key_id) VALUES (?, 'acme', 'https://hooks.example.com/x', NULL, '[]', ?, '2026-01-01T00:00:00.000Z', ?)",
    );
    for (const [id, secret] of plain) insert.run(id, secret, null);
    insert.run(sealedId, sealedBefore, "cmd-1");
    db.close();
    const secrets = new Map([...plain, [sealedId, sealedSecret]]);

    const run = await command(["encrypt", "--env", "test"], keys(OLD, "cmd-1"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split("\n").at(-1)).toBe('Sealed 3 plain secrets under key id "cmd-1"; 1 row already sealed (untouched).');
    const encrypted = await storedRows();
    const keyring = await keyringOf(keys(OLD, "cmd-1"));
    for (const [id, secret] of secrets) {
      const row = encrypted.get(id)!;
      expect(row.secret).toMatch(/^v1\.cmd-1\./);
      expect(row.secret).not.toContain(secret.slice("whsec_".length));
      expect(row.keyId).toBe("cmd-1");
      expect(await open(row.secret, keyring, id)).toBe(secret);
    }
    expect(encrypted.get(sealedId)!.secret).toBe(sealedBefore);

    const again = await command(["encrypt", "--env", "test"], keys(OLD, "cmd-1"));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Sealed 0 plain secrets under key id "cmd-1"; 4 rows already sealed (untouched).');
    expect(await storedRows()).toEqual(encrypted);

    // Rotation: a new key made current; rotate re-seals everything under it, then has nothing to do.
    const rotate = await command(["rotate", "--env", "test"], keys(ROTATED, "cmd-2"));
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('Re-sealed 4 secrets under key id "cmd-2" (4 from "cmd-1"); 0 rows already under it (untouched).');
    const rotated = await storedRows();
    const newOnly = await keyringOf(keys({ "cmd-2": ROTATED["cmd-2"] }, "cmd-2"));
    for (const [id, secret] of secrets) {
      expect(rotated.get(id)!.keyId).toBe("cmd-2");
      expect(await open(rotated.get(id)!.secret, newOnly, id)).toBe(secret);
    }
    const rotateAgain = await command(["rotate", "--env", "test"], keys(ROTATED, "cmd-2"));
    expect(rotateAgain.stdout).toContain('Re-sealed 0 secrets under key id "cmd-2"; 4 rows already under it (untouched).');
    expect(await storedRows()).toEqual(rotated);

    // A tampered row: named, left as it is, exit 1; the others are not affected.
    const [tamperedId] = plain.keys();
    const tampered = rotated.get(tamperedId!)!.secret.replace(/\.(.)([^.]*)$/, (_, c: string, rest: string) => `.${c === "A" ? "B" : "A"}${rest}`);
    const edit = await testDatabase();
    edit.prepare("UPDATE webhook_endpoints SET secret = ?, secret_key_id = 'cmd-1' WHERE id = ?").run(tampered.replace("v1.cmd-2.", "v1.cmd-1."), tamperedId!);
    edit.close();
    const broken = await command(["rotate", "--env", "test"], keys(ROTATED, "cmd-2"));
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`Could not open the secret of endpoint ${tamperedId}: the secret sealed under key id "cmd-1" does not open`);
    expect(broken.stdout).toContain('Re-sealed 0 secrets under key id "cmd-2"; 3 rows already under it (untouched).');
    expect((await storedRows()).get(tamperedId!)!.secret).toBe(tampered.replace("v1.cmd-2.", "v1.cmd-1."));
    expect(broken.stdout + broken.stderr).not.toContain(ROTATED["cmd-1"]);
  });

  it("refuses a wrong command line (exit 2), and --remote without the Worker's keys in the environment (exit 1), changing nothing", { timeout: 60_000 }, async () => {
    const cases = [[], ["seal", "--env", "test"], ["encrypt"], ["encrypt", "--env", "prod"], ["encrypt", "--env", "test", "--bogus"], ["rotate", "--env", "test", "extra"]];
    const results = await Promise.all(cases.map((args) => command(args, keys(OLD, "cmd-1"))));
    for (const [i, result] of results.entries()) {
      expect(result.code, cases[i]!.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^Error: /);
      expect(result.stderr).toContain("Usage: npm run webhook-secrets");
    }
    const remote = await command(["encrypt", "--env", "live", "--remote"], { WEBHOOK_SECRET_KEYS: undefined, WEBHOOK_SECRET_KEY_ID: undefined });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain("--remote needs the deployed Worker's keys in the environment");
    const badKeys = await command(["encrypt", "--env", "test"], { WEBHOOK_SECRET_KEYS: "{}", WEBHOOK_SECRET_KEY_ID: "x" });
    expect(badKeys.code).toBe(1);
    expect(badKeys.stderr).toContain('WEBHOOK_SECRET_KEY_ID "x" names no key of WEBHOOK_SECRET_KEYS (read from the environment)');
  });
});
