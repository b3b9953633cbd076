// Migration 0006 backfills the lookup keys of existing clients in SQL: the keys it makes are exactly
// the ones the write path makes (same kinds, normalized values, sources), for every kind.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientLookupKeys } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { clabe, curp, RFC_INDIVIDUAL, uniq } from "../sync/helpers";

const h = createHarness();

const keysOf = async (tenantId: string) =>
  (await h.rows("test", clientLookupKeys, { tenantId })).map((r) => JSON.stringify([r.kind, r.normalized, r.key, r.clientId, r.childId, r.deletedAt])).sort();

describe("migration 0006's backfill", () => {
  it("makes the keys the write path makes, for clients written before the table existed", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post(
      "/clients/sync",
      {
        client: { type: "individual", name: "Ana", externalId: `b-${uniq()}`, metadata: { crm: "A 1", n: 2 }, scopeData: { MX: { rfc: RFC_INDIVIDUAL, curp: curp() } } },
        contactMethods: [{ value: "Ana@Example.com" }, { type: "mobile", value: "+52 1 (55) 1234.5678" }, { type: "phone", value: "+1 415 555 0100" }, { type: "other", value: "@ana" }],
        bankAccounts: [{ accountNumber: "00-12 34", bankName: "B", currency: "MXN", clabe: clabe() }],
        linkedClients: [{ child: { type: "company", name: "Hexa", externalId: `bc-${uniq()}` } }],
      },
      { key },
    );
    expect(res.status, res.text).toBe(200);
    const written = await keysOf(tenantId);
    // The name search's keys (migration 0009): "ana" (x:ana) and "hexa" (l:he, r:xa).
    expect(written.filter((k) => k.includes('"nameBlock"'))).toHaveLength(3);
    expect(written.length - 3).toBe(10); // rfc, curp, externalId, metadata crm, email, 2 phones, clabe, account, the child's externalId

    // As if the rows predated the table: the keys removed, then the migration's INSERT run again.
    await h.binding("test").prepare("DELETE FROM client_lookup_keys").run();
    // Migration 0006 backfills the identifiers, 0009 the name search's keys.
    for (const prefix of ["0006_", "0009_"]) {
      const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith(prefix))!;
      const backfill = migration.queries.filter((q: string) => /^\s*INSERT INTO client_lookup_keys/i.test(q.replace(/^--.*$/gm, "")));
      expect(backfill).toHaveLength(1);
      await h.binding("test").prepare(backfill[0]!).run();
    }
    expect(await keysOf(tenantId)).toEqual(written);
  });
});
