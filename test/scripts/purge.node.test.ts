// `npm run purge`, run for real (the project's Node, scripts/purge.ts) on a temporary local state
// directory (CLIENTS_API_STATE_DIR): it reads the retention from wrangler.toml, erases the history
// and outbox rows of the clients deleted before it — per tenant, printed — and nothing else.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { retentionCutoff } from "../../src/db/purge";
import { projectConfig, retentionYears } from "../../scripts/lib/retention";
import { localDatabaseWith, runScript } from "../support/local-script";

const temp = mkdtempSync(join(tmpdir(), "clients-api-purge-"));
const DAY = 86_400_000;

afterAll(() => rmSync(temp, { recursive: true, force: true }));

const purge = (...args: string[]) => runScript("scripts/purge.ts", join(temp, "state"), args);

/** The local DB_TEST_0 file: the one the first run migrated (the only one holding client_history). */
const testDatabase = () => localDatabaseWith(join(temp, "state"), "client_history");

describe("the retention period", () => {
  it("is wrangler.toml's [vars] HISTORY_RETENTION_YEARS, 10 years (API.md §11), read as the purge reads it", () => {
    expect(projectConfig().vars?.HISTORY_RETENTION_YEARS).toBe("10");
    expect(retentionYears()).toBe(10);
    expect(retentionYears({ vars: { HISTORY_RETENTION_YEARS: "7" } })).toBe(7);
    for (const vars of [{}, { HISTORY_RETENTION_YEARS: "0" }, { HISTORY_RETENTION_YEARS: "ten" }, { HISTORY_RETENTION_YEARS: "1.5" }]) {
      expect(() => retentionYears({ vars }), JSON.stringify(vars)).toThrow(/HISTORY_RETENTION_YEARS/);
    }
  });
});

describe("npm run purge", () => {
  it("erases the clients deleted before retention, prints them per tenant, and keeps everything else", { timeout: 120_000 }, async () => {
    const now = new Date("2036-06-15T12:00:00.000Z");
    const cutoff = Date.parse(retentionCutoff(now, 10));
    const first = await purge("--env", "test", "--now", now.toISOString());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`the history of clients deleted before ${new Date(cutoff).toISOString()} (HISTORY_RETENTION_YEARS = 10`);
    expect(first.stdout).toContain("Nothing to erase");

    const db = await testDatabase();
    const at = (ms: number) => new Date(ms).toISOString();
    const entry = db.prepare(
      "INSERT INTO client_history (tenant_id, client_id, sequence, part, parts, at, operation, hash, linked, body) VALUES (?, ?, ?, 0, 1, ?, ?, ?, NULL, 'H4sI')",
    );
    const event = db.prepare("INSERT INTO event_outbox (id, tenant_id, client_id, sequence, type, created_at, queued_at) VALUES (?, ?, ?, ?, 'client.updated', ?, NULL)");
    const ids = { expired: crypto.randomUUID(), recent: crypto.randomUUID(), live: crypto.randomUUID(), otherExpired: crypto.randomUUID() };
    const seed = (tenant: string, id: string, deletedAt: number | null, entries: number) => {
      for (let sequence = 1; sequence <= entries; sequence++) {
        const last = sequence === entries && deletedAt !== null;
        entry.run(tenant, id, sequence, at((deletedAt ?? cutoff - 900 * DAY) - (entries - sequence) * DAY), last ? "delete" : "sync", "0".repeat(64));
        if (tenant === "acme") event.run(crypto.randomUUID(), tenant, id, sequence, at(cutoff - DAY));
      }
    };
    seed("acme", ids.expired, cutoff - DAY, 3);
    seed("acme", ids.recent, cutoff + DAY, 2);
    seed("acme", ids.live, null, 4);
    seed("beta", ids.otherExpired, cutoff - 3000 * DAY, 1);
    // A second part of an expired entry: erased with it, counted as a row, not an entry.
    db.prepare("INSERT INTO client_history (tenant_id, client_id, sequence, part, body) VALUES ('acme', ?, 2, 1, 'more')").run(ids.expired);
    db.close();

    const run = await purge("--env", "test", "--now", "2036-06-15T14:00:00+02:00");
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toContain('Tenant "acme": 1 client, 3 history entries, 3 outbox rows, 0 files');
    expect(lines).toContain(`  ${ids.expired}  deleted ${at(cutoff - DAY)}  3 entries (4 rows)  3 outbox rows  0 files`);
    expect(lines).toContain('Tenant "beta": 1 client, 1 history entry, 0 outbox rows, 0 files');
    expect(lines).toContain(`  ${ids.otherExpired}  deleted ${at(cutoff - 3000 * DAY)}  1 entry (1 row)  0 outbox rows  0 files`);
    expect(lines.at(-1)).toBe("Erased 2 clients: 4 history entries, 3 outbox rows, 0 files.");
    // Progress (issue 26): one stderr line per batch, the last with every erased client.
    expect(run.stderr).toMatch(/^\[purge \d+\.\d s\] batch 1 done: 2 clients erased so far$/m);
    expect(run.stdout).not.toContain(ids.recent);
    expect(run.stdout).not.toContain(ids.live);

    const after = await testDatabase();
    const count = (table: string, id: string) => (after.prepare(`SELECT count(*) AS n FROM ${table} WHERE client_id = ?`).get(id) as { n: number }).n;
    expect([ids.expired, ids.recent, ids.live, ids.otherExpired].map((id) => count("client_history", id))).toEqual([0, 2, 4, 0]);
    expect([ids.expired, ids.recent, ids.live].map((id) => count("event_outbox", id))).toEqual([0, 2, 4]);
    after.close();

    const again = await purge("--env", "test", "--now", now.toISOString());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to erase");
  });

  it("refuses a missing or unknown environment and a malformed --now, erasing nothing", { timeout: 60_000 }, async () => {
    const cases = [[], ["--env", "prod"], ["--env", "test", "--now", "2036-06-15"], ["--env", "test", "--bogus"]];
    const results = await Promise.all(cases.map((args) => purge(...args)));
    for (const [i, result] of results.entries()) {
      const args = cases[i]!;
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^Error: /);
      expect(result.stderr).toContain("Usage: npm run purge");
    }
  });
});
