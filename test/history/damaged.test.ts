// A damaged record never gives a 500 and is never served altered (API.md §11 "Damaged record",
// issue 20 item 2). Rows are tampered in real local D1, behind the API's back; then:
//   - GET /clients/{id}?asOf= answers exactly what it answered before the tampering, or 409
//     HISTORY_BROKEN with `brokenAt` (and whose chain: `clientId`) — for every instant of the
//     client's life and every kind of tampering, also a linked client's chain and a cut-short end;
//   - a history page holding an entry that cannot be decoded is the same 409; a page before it is not;
//   - a history page is at most 2 MiB of JSON, fewer entries than `limit` then, with hasMore.
import { describe, expect, it } from "vitest";
import { entryHash, packBody, unpackBody } from "../../src/history/entry";
import { HISTORY_PAGE_MAX_BYTES } from "../../src/routes/clients.history";
import { createHarness, type ApiResponse } from "../support/harness";
import { sleep, uniq } from "../sync/helpers";

const h = createHarness();
const d1 = () => h.binding("test");

interface Life {
  key: string;
  id: string;
  rep: string;
  /** Instants: before anything, then just after each of the client's 5 entries. */
  instants: string[];
  /** What asOf answered at each instant, before any tampering (status and body). */
  answers: { status: number; body: unknown }[];
}

/** An answer without its request id (each request has its own). */
const answerOf = (res: { status: number; body: any }) => {
  const { requestId: _, ...body } = res.body ?? {};
  return { status: res.status, body };
};

const asOf = (life: Life, at: string) => h.get(`/clients/${life.id}?asOf=${at}`, { key: life.key });

/** A client with 5 entries (created, children and a link, two updates, a linked client's update in between). */
async function aLife(): Promise<Life> {
  const { key } = await h.newTenantWithKey();
  const x = uniq();
  const instants: string[] = [];
  const mark = async () => {
    await sleep(3);
    instants.push(new Date().toISOString());
    await sleep(3);
  };
  await mark();
  const created = await h.post("/clients/sync", { client: { type: "company", name: "ACME", externalId: `acme-${x}` } }, { key });
  expect(created.status, created.text).toBe(200);
  const id = created.body.client.id as string;
  await mark();
  const steps = [
    {
      clientId: id,
      addresses: [{ externalId: `a-${x}`, street: "S 1", city: "C", state: "ST", postalCode: "06600", country: "MX", isPrimary: true }],
      linkedClients: [{ child: { type: "individual", name: "Rep", externalId: `r-${x}` }, relationshipType: "legal_representative" }],
    },
    { clientId: id, client: { name: "ACME S.A." } },
    { clientId: id, addresses: [{ externalId: `a-${x}`, street: "S 2" }] },
    { clientId: id, client: { metadata: { tier: 2 } } },
  ];
  for (const body of steps) {
    const res = await h.post("/clients/sync", body, { key });
    expect(res.status, res.text).toBe(200);
    await mark();
  }
  const graph = await h.get(`/clients/${id}`, { key });
  const rep = graph.body.linkedClients[0].client.id as string;
  const life: Life = { key, id, rep, instants, answers: [] };
  for (const at of instants) {
    const res = await asOf(life, at);
    expect([200, 404]).toContain(res.status);
    life.answers.push(answerOf(res));
  }
  return life;
}

async function setColumn(id: string, sequence: number, column: string, value: unknown) {
  const result = await d1().prepare(`UPDATE client_history SET ${column} = ? WHERE client_id = ? AND sequence = ? AND part = 0`).bind(value, id, sequence).run();
  expect(result.meta.changes).toBe(1);
}

async function alter(id: string, sequence: number, change: (entry: any) => void, rehash = false) {
  const row = await d1().prepare("SELECT body FROM client_history WHERE client_id = ? AND sequence = ? AND part = 0").bind(id, sequence).first<{ body: string }>();
  const entry = JSON.parse(await unpackBody(row!.body));
  change(entry);
  await setColumn(id, sequence, "body", await packBody(JSON.stringify(entry)));
  if (rehash) await setColumn(id, sequence, "hash", await entryHash(entry));
}

/** Every instant: the answer from before, or 409 HISTORY_BROKEN naming `clientId` at `brokenAt` — from instant `from` on exactly. */
async function expectBrokenFrom(life: Life, from: number, clientId: string, brokenAt: number) {
  for (const [i, at] of life.instants.entries()) {
    const res = await asOf(life, at);
    if (i < from) {
      expect(answerOf(res), `instant ${i}`).toEqual(life.answers[i]);
    } else {
      expect(res.status, `instant ${i}: ${res.text.slice(0, 200)}`).toBe(409);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: "HISTORY_BROKEN", status: 409, brokenAt, clientId, errors: [] });
      expect(res.text).not.toMatch(/sqlite|D1_|stack/i);
    }
  }
}

describe("GET /clients/{id}?asOf= over a damaged record", () => {
  it("an untouched record answers every instant as before (the baseline of the checks below)", async () => {
    const life = await aLife();
    expect(life.answers.map((a) => a.status)).toEqual([404, 200, 200, 200, 200, 200]);
    await expectBrokenFrom(life, 99, life.id, 0);
  });

  it("an entry's body edited (re-packed, the stored hash kept): 409 from that entry's instant on, the instants before answer as before", async () => {
    const life = await aLife();
    await alter(life.id, 3, (entry) => (entry.changes[0].fields.name.to = "Someone else"));
    await expectBrokenFrom(life, 3, life.id, 3);
  });

  it("an entry edited with its hash recomputed: broken at the next entry (it carries the old hash)", async () => {
    const life = await aLife();
    await alter(life.id, 2, (entry) => (entry.changes[0].fields.version.to = 7), true);
    // At the instant of entry 2 the chain up to it verifies on its own (its hash was rewritten), but
    // the next entry, made later, still names the old hash as the one it follows: broken at 3, as
    // /history/verify says, from that instant on.
    await expectBrokenFrom(life, 2, life.id, 3);
  });

  it("a body that cannot be decoded, a hash column, the time column, a missing part: 409, never a 500", async () => {
    const cases: [string, (life: Life) => Promise<void>, number][] = [
      ["garbage body", (life) => setColumn(life.id, 4, "body", "bm90IGd6aXA="), 4],
      ["not base64", (life) => setColumn(life.id, 4, "body", "%%%"), 4],
      ["hash column", (life) => setColumn(life.id, 2, "hash", "0".repeat(64)), 2],
      ["part count", (life) => setColumn(life.id, 3, "parts", 2), 3],
      ["operation", (life) => setColumn(life.id, 5, "operation", "delete"), 5],
    ];
    for (const [label, tamper, brokenAt] of cases) {
      const life = await aLife();
      await tamper(life);
      for (const at of life.instants.slice(brokenAt)) {
        const res = await asOf(life, at);
        expect(res.status, `${label}: ${res.text.slice(0, 200)}`).toBe(409);
        expect(res.body, label).toMatchObject({ code: "HISTORY_BROKEN", brokenAt, clientId: life.id });
      }
    }
  });

  it("an entry removed: 409 at it; entries removed from the end: 409 where the chain was cut, not an older client", async () => {
    const life = await aLife();
    await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 3").bind(life.id).run();
    await expectBrokenFrom(life, 2, life.id, 3);

    const cut = await aLife();
    await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 5").bind(cut.id).run();
    // Up to entry 4 the chain is whole and entry 5's removal is not visible there... except that
    // no entry follows 4 and the client's version is not the one entry 4 leaves: 409 from then on.
    await expectBrokenFrom(cut, 4, cut.id, 5);
  });

  it("a linked client's chain damaged: the parent's asOf is 409 naming the linked client", async () => {
    const life = await aLife();
    await alter(life.rep, 1, (entry) => (entry.changes[0].fields.name.to = "Forged Rep"));
    await expectBrokenFrom(life, 2, life.rep, 1);
  });

  it("another tenant's rows never count: the tenant check still answers 404 for them", async () => {
    const life = await aLife();
    const other = await h.newTenantWithKey();
    const res = await h.get(`/clients/${life.id}?asOf=${life.instants.at(-1)}`, { key: other.key });
    expect(res.status).toBe(404);
  });
});

describe("GET /clients/{id}/history over a damaged record", () => {
  it("a page holding an entry that cannot be decoded: 409 at its sequence; pages before it answer", async () => {
    const life = await aLife();
    await setColumn(life.id, 4, "body", "bm90IGd6aXA=");
    const page = await h.get(`/clients/${life.id}/history`, { key: life.key });
    expect(page.status, page.text).toBe(409);
    expect(page.body).toMatchObject({ code: "HISTORY_BROKEN", brokenAt: 4, clientId: life.id });
    const first = await h.get(`/clients/${life.id}/history?limit=3`, { key: life.key });
    expect(first.status).toBe(200);
    expect(first.body.data.map((e: any) => e.sequence)).toEqual([1, 2, 3]);
    const next = await h.get(`/clients/${life.id}/history?limit=3&cursor=${first.body.pagination.nextCursor}`, { key: life.key });
    expect(next.status).toBe(409);
    expect(next.body.brokenAt).toBe(4);
  });

  it("an entry's first part missing, or the whole entry removed: the page does not skip it, 409 at its sequence", async () => {
    for (const tamper of [
      (id: string) => d1().prepare("UPDATE client_history SET part = 1 WHERE client_id = ? AND sequence = 2").bind(id).run(),
      (id: string) => d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 2").bind(id).run(),
    ]) {
      const life = await aLife();
      await tamper(life.id);
      const page = await h.get(`/clients/${life.id}/history`, { key: life.key });
      expect(page.status, page.text.slice(0, 200)).toBe(409);
      expect(page.body).toMatchObject({ code: "HISTORY_BROKEN", brokenAt: 2 });
      expect((await h.get(`/clients/${life.id}/history?limit=1`, { key: life.key })).status).toBe(200);
    }
  });
});

describe("the 2 MiB page", () => {
  it("a page stops before 2 MiB of JSON, with hasMore and a cursor that goes on from there; every entry is served once", { timeout: 60_000 }, async () => {
    const { key } = await h.newTenantWithKey();
    // Entries of about 480 KiB each: 8 new documents of 60 KiB of fields per sync.
    const documents = (i: number) =>
      Array.from({ length: 8 }, (_, d) => ({ type: "other", externalId: `d${i}-${d}`, fields: { text: `${i}-${d}`.padEnd(60 * 1024, "x") } }));
    const created = await h.post("/clients/sync", { client: { type: "company", name: "Big" }, documents: documents(0) }, { key });
    expect(created.status, created.text.slice(0, 300)).toBe(200);
    const id = created.body.client.id as string;
    for (let i = 1; i <= 7; i++) {
      const res = await h.post("/clients/sync", { clientId: id, documents: documents(i) }, { key });
      expect(res.status, res.text.slice(0, 300)).toBe(200);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse = await h.get(`/clients/${id}/history?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { key });
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(new TextEncoder().encode(res.text).byteLength).toBeLessThanOrEqual(HISTORY_PAGE_MAX_BYTES);
      seen.push(...res.body.data.map((e: any) => e.sequence));
      cursor = res.body.pagination.nextCursor;
      expect(res.body.pagination.hasMore).toBe(cursor !== null);
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pages).toBeGreaterThan(1);
  });
});
