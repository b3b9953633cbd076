// Runs a sequence of abstract commands against the Worker (through the harness, real local D1) and
// against the model (model.ts), comparing every response and, after every step, the whole stored
// state: through the API (the list and a GET of every live client, with its ETag) and in D1.
import fc from "fast-check";
import type { Harness } from "../support/harness";
import { Binding, canonical, match, Mismatch, pointersOf, show } from "./compare";
import * as M from "./model";

// ------------------------------------------------------------------------------------------------
// Commands: plain objects (so that fast-check prints a shrunk sequence readably). References to
// records are symbolic: "own:n" = the n-th (mod count) record created by the same store (tenant ×
// environment), deleted ones included; "any:n" = the n-th created by any store (usually a foreign
// id); "unknown" = an id that never existed.
// ------------------------------------------------------------------------------------------------

export type Who = M.StoreName;
export type Ref = string;
type WithRef<T, K extends keyof T> = Omit<T, K> & { [P in K]?: Ref };
export type Cmd =
  | { op: "batch"; who: Who; atomic?: boolean; items: M.ClientIn[] }
  | {
      op: "sync";
      who: Who;
      clientId?: Ref;
      client?: M.ClientIn;
      addresses?: WithRef<M.AddressIn, "id">[];
      contactMethods?: WithRef<M.ContactIn, "id">[];
      linkedClients?: WithRef<M.LinkIn, "clientId">[];
      replaceMode?: boolean;
      dryRun?: boolean;
    }
  | { op: "delete"; who: Who; ref: Ref }
  | { op: "get"; who: Who; ref: Ref }
  | { op: "list"; who: Who; limit: number; externalId?: string };

const strip = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const maybe = <T>(arb: fc.Arbitrary<T>, present = 1, absent = 1): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: arb });

const who = fc.oneof({ weight: 7, arbitrary: fc.constant<Who>("A") }, { weight: 2, arbitrary: fc.constant<Who>("B") }, { weight: 1, arbitrary: fc.constant<Who>("AL") });
const ref = fc.oneof(
  { weight: 10, arbitrary: fc.nat(5).map((n) => `own:${n}`) },
  { weight: 2, arbitrary: fc.nat(5).map((n) => `old:${n}`) },
  { weight: 1, arbitrary: fc.nat(7).map((n) => `any:${n}`) },
  { weight: 1, arbitrary: fc.constant("unknown") },
);
const clientType = fc.constantFrom("individual", "company");
const name = fc.oneof({ weight: 30, arbitrary: fc.constantFrom("Ana", "Bo") }, { weight: 1, arbitrary: fc.constant("  ") });
const lastName = fc.constantFrom<string | null>("Ruiz", null);
const clientExt = fc.oneof(
  { weight: 3, arbitrary: fc.constant<string | null>("e1") },
  { weight: 2, arbitrary: fc.constant<string | null>("e2") },
  { weight: 1, arbitrary: fc.constant<string | null>("e3") },
  { weight: 1, arbitrary: fc.constant<string | null>(null) },
);
const relationshipType = fc.constantFrom<string | null>("legal_representative", "guarantor", null);

const batchItem: fc.Arbitrary<M.ClientIn> = fc
  .record({ type: maybe(clientType, 14, 1), name: maybe(name, 14, 1), lastName: maybe(lastName, 1, 2), externalId: maybe(clientExt, 4, 1) })
  .map(strip);

/** `client` of a sync by clientId: a partial update. */
const partialClient: fc.Arbitrary<M.ClientIn> = fc
  .record({ type: maybe(clientType, 1, 2), name: maybe(name, 1, 2), lastName: maybe(lastName, 1, 2), externalId: maybe(clientExt, 1, 3) })
  .map(strip);
/** `client` of a sync without clientId: creates or updates the client its externalId names. */
const keyedExt = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | null>("e1") },
  { weight: 2, arbitrary: fc.constant<string | null>("e2") },
  { weight: 1, arbitrary: fc.constant<string | null>("e3") },
  { weight: 1, arbitrary: fc.constant<string | null>(null) },
);
const keyedClient: fc.Arbitrary<M.ClientIn> = fc
  .record({ type: maybe(clientType, 15, 1), name: maybe(name, 15, 1), lastName: maybe(lastName, 1, 2), externalId: maybe(keyedExt, 12, 1) })
  .map(strip);

const address = fc
  .record({
    id: maybe(ref, 1, 9),
    externalId: maybe(fc.constantFrom<string | null>("a1", "a2", "a3", null), 5, 1),
    street: maybe(fc.constantFrom("S1", "S2"), 10, 1),
    rest: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    isPrimary: maybe(fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })),
    _delete: maybe(fc.constant(true), 1, 6),
  })
  .map(({ rest, ...a }) => strip({ ...a, ...(rest && !a._delete ? { city: "C", state: "ST", postalCode: "06600" } : {}) }));

const contactMethod = fc
  .record({
    id: maybe(ref, 1, 9),
    externalId: maybe(fc.constantFrom<string | null>("m1", "m2", "m3", null), 5, 1),
    type: maybe(fc.constantFrom("email", "phone", "mobile", "other"), 1, 6),
    value: maybe(fc.constantFrom("ana@x.io", "bo@x.io", "+52 55 1234 5678", "555-0100-22", "front desk"), 12, 1),
    isPrimary: maybe(fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })),
    _delete: maybe(fc.constant(true), 1, 8),
  })
  .map(strip);

const linkChild: fc.Arbitrary<M.ClientIn> = fc
  .record({ type: maybe(clientType, 8, 1), name: maybe(name, 8, 1), externalId: maybe(clientExt, 3, 1) })
  .map(strip);

const link = fc.oneof(
  fc.record({ clientId: ref, relationshipType: maybe(relationshipType), _delete: maybe(fc.constant(true), 1, 4) }).map(strip),
  fc.record({ child: linkChild, relationshipType: maybe(relationshipType), _delete: maybe(fc.constant(true), 1, 4) }).map(strip),
  fc.record({ clientId: ref, child: fc.record({ name: fc.constantFrom("Ana", "Bo") }), relationshipType: maybe(relationshipType) }).map(strip),
);

const syncCmd = fc
  .record({
    op: fc.constant("sync" as const),
    who,
    target: fc.oneof(
      { weight: 2, arbitrary: fc.record({ client: maybe(keyedClient, 30, 1) }) },
      { weight: 1, arbitrary: fc.record({ clientId: ref, client: maybe(partialClient) }) },
    ),
    addresses: maybe(fc.array(address, { maxLength: 2 })),
    contactMethods: maybe(fc.array(contactMethod, { maxLength: 2 })),
    linkedClients: maybe(fc.array(link, { maxLength: 2 }), 2, 3),
    replaceMode: maybe(fc.constant(true), 1, 4),
    dryRun: maybe(fc.constant(true), 1, 8),
  })
  .map(({ target, ...rest }) => strip({ ...rest, ...strip(target as { clientId?: Ref; client?: M.ClientIn }) }))
  .map(({ op, who, clientId, client, ...rest }) => strip({ op, who, clientId, client, ...rest }));

export const command: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: syncCmd },
  {
    weight: 3,
    arbitrary: fc
      .record({ op: fc.constant("batch" as const), who, atomic: maybe(fc.boolean(), 2, 1), items: fc.array(batchItem, { minLength: 1, maxLength: 3 }) })
      .map(strip),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("delete" as const), who, ref }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("get" as const), who, ref }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ op: fc.constant("list" as const), who, limit: fc.integer({ min: 1, max: 3 }), externalId: maybe(fc.constantFrom("e1", "e2"), 1, 2) })
      .map(strip),
  },
);

/** Sequences of 1–12 commands (fast-check shrinks them down to the one or two that matter). */
export const sequence = fc.array(command, { minLength: 1, maxLength: 12 });

/**
 * Focused sequences: the same client (externalId e1) synced again and again, so that its children
 * and links pile up and the interesting rules — matching by id and externalId, re-keying, primary
 * demotion, replaceMode, _delete of deleted things, re-links — happen within a few steps. Tenant B
 * and A's live environment still get some of the same calls.
 */
const focusedSync = fc
  .record({
    op: fc.constant("sync" as const),
    who: fc.oneof({ weight: 8, arbitrary: fc.constant<Who>("A") }, { weight: 1, arbitrary: fc.constant<Who>("B") }, { weight: 1, arbitrary: fc.constant<Who>("AL") }),
    client: fc.record({ type: clientType, name: fc.constantFrom("Ana", "Bo"), externalId: fc.constant<string | null>("e1") }),
    addresses: maybe(fc.array(address, { maxLength: 3 }), 3, 1),
    contactMethods: maybe(fc.array(contactMethod, { maxLength: 3 }), 3, 1),
    linkedClients: maybe(fc.array(link, { maxLength: 2 }), 1, 1),
    replaceMode: maybe(fc.constant(true), 1, 3),
    dryRun: maybe(fc.constant(true), 1, 8),
  })
  .map(strip);
export const focusedSequence = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: focusedSync as fc.Arbitrary<Cmd> },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("delete" as const), who: fc.constant<Who>("A"), ref }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("get" as const), who, ref }) },
  ),
  { minLength: 1, maxLength: 12 },
);

interface Report {
  created: unknown[];
  updated: M.Unordered;
  deleted: M.Unordered;
}
interface SyncBody {
  action: string;
  addresses: Report;
  contactMethods: Report;
  linkedClients: Report;
}

function coverSync(figures: Figures, req: M.SyncIn, body: SyncBody) {
  const add = (k: string, n = 1) => n > 0 && (figures.coverage[k] = (figures.coverage[k] ?? 0) + n);
  add(`sync ${body.action}${req.dryRun ? " (dryRun)" : ""}`);
  for (const list of ["addresses", "contactMethods", "linkedClients"] as const) {
    add(`${list} created`, body[list].created.length);
    add(`${list} updated`, body[list].updated.items.length);
    add(`${list} deleted`, body[list].deleted.items.length);
    if (req.replaceMode) add(`${list} deleted under replaceMode`, body[list].deleted.items.length);
  }
  const demoted = [...body.addresses.updated.items, ...body.contactMethods.updated.items].filter(
    (r) => (r as { isPrimary: boolean }).isPrimary === false,
  ).length;
  add("children updated to isPrimary=false (demotions and explicit)", demoted);
}

// ------------------------------------------------------------------------------------------------
// Running
// ------------------------------------------------------------------------------------------------

/** An id no record ever had (a valid UUID, so the answer is 404, not 400). */
export const UNKNOWN_ID = "01900000-0000-7000-8000-00000000dead";

export interface Figures {
  /** The compliance record (API.md §11), checked at the end of each sequence. */
  history: { asOfCompared: number; beforeCreation: number; afterDeletion: number; chainsVerified: number };
  sequences: number;
  steps: number;
  requests: number;
  ops: Record<string, number>;
  statuses: Record<string, number>;
  /** What the successful syncs did, per the model (coverage of the interesting cases). */
  coverage: Record<string, number>;
  /** Error pointers compared; refusals that left out predicted problems of other tiers, by tiers. */
  pointers: { compared: number; leftOut: Record<string, number> };
}
export const newFigures = (): Figures => ({
  sequences: 0,
  steps: 0,
  requests: 0,
  ops: {},
  statuses: {},
  coverage: {},
  pointers: { compared: 0, leftOut: {} },
  history: { asOfCompared: 0, beforeCreation: 0, afterDeletion: 0, chainsVerified: 0 },
});

export async function runSequence(h: Harness, cmds: readonly Cmd[], figures: Figures, printTrace = false): Promise<void> {
  figures.sequences++;
  const tenants = { A: h.newTenant(), B: h.newTenant() };
  const keys: Record<Who, string> = {
    A: await h.createKey({ env: "test", tenantId: tenants.A }),
    B: await h.createKey({ env: "test", tenantId: tenants.B }),
    AL: await h.createKey({ env: "live", tenantId: tenants.A }),
  };
  const stores: Record<Who, M.Store> = { A: M.emptyStore(), B: M.emptyStore(), AL: M.emptyStore() };
  const ids = new M.IdSource();
  const binding = new Binding();
  const created = { clients: [] as { mid: string; who: Who }[], addresses: [] as { mid: string; who: Who }[], contactMethods: [] as { mid: string; who: Who }[] };
  const etags = new Map<string, { render: string; etag: string }>();
  /** Every GET of a client the sequence made, with the instant it answered: what asOf must answer again. */
  const answered: { w: Who; id: string; at: string; text: string }[] = [];
  const trace: string[] = [];

  /**
   * own:n → the n-th live record of the store (for a child: of the synced client, if it has any);
   * old:n → the n-th record the store ever created, deleted ones included; any:n → the n-th record
   * any store created (mostly foreign); unknown → an id that never existed.
   */
  const resolve = (pool: { mid: string; who: Who }[], r: Ref, w: Who, live?: (mid: string) => boolean): string => {
    const [kind, n] = r.split(":") as [string, string | undefined];
    const ever = pool.filter((p) => p.who === w);
    const alive = live ? ever.filter((p) => live(p.mid)) : [];
    const candidates = kind === "own" ? (alive.length > 0 ? alive : ever) : kind === "old" ? ever : kind === "any" ? pool : [];
    return candidates.length === 0 ? "unknown" : candidates[Number(n) % candidates.length]!.mid;
  };
  const real = (mid: string) => binding.realOf.get(mid) ?? UNKNOWN_ID;
  const request = async (method: string, path: string, w: Who, body?: unknown) => {
    figures.requests++;
    return h.request(method, path, { env: M.STORES[w].env, key: keys[w], body });
  };

  async function checkStatus(step: number, expected: M.Outcome, res: { status: number; body: any }) {
    figures.statuses[`${expected.status}`] = (figures.statuses[`${expected.status}`] ?? 0) + 1;
    if (res.status !== expected.status) {
      throw new Mismatch(`status: expected ${expected.status}, got ${res.status}: ${show(res.body, 600)}`);
    }
    if (expected.status === 200) match(expected.body, res.body, binding);
    else if (res.body?.code !== expected.code || res.body?.status !== expected.status) {
      throw new Mismatch(`problem: expected code ${expected.code}, got ${show(res.body)}`);
    } else checkPointers(expected, res.body);
    void step;
  }

  /**
   * The problem's pointers against the model's (M.Outcome.errors): no pointer the model did not
   * predict, and every pointer of the first tier that has one (shape, then bad, notFound,
   * conflict) — or exactly the predicted ones where the contract lists them all (batch).
   */
  const STRICT_TIERS = true;
  function checkPointers(expected: M.Outcome, body: { errors?: unknown }) {
    const predicted = expected.errors ?? [];
    const got = pointersOf(body.errors ?? []);
    if (got === null) throw new Mismatch(`problem: errors is not a list of errors: ${show(body)}`);
    const all = new Set(predicted.map((e) => e.pointer));
    const unexpected = got.filter((p) => !all.has(p));
    const tier = (["shape", "bad", "notFound", "conflict"] as const).find((t) => predicted.some((e) => e.tier === t));
    // API.md §3 (amended): every problem in one answer, shape and stored-state ones together.
    const required = STRICT_TIERS || expected.exactErrors ? [...all] : predicted.filter((e) => e.tier === tier).map((e) => e.pointer);
    const missing = [...new Set(required)].filter((p) => !got.includes(p));
    figures.pointers.compared += got.length;
    if (unexpected.length > 0 || missing.length > 0) {
      throw new Mismatch(
        `problem pointers: unexpected ${show(unexpected)}, missing ${show(missing)}; the model predicts ${show(predicted)}, the service answered ${show(body.errors)}`,
      );
    }
    const left = [...new Set(predicted.filter((e) => !got.includes(e.pointer)).map((e) => e.tier))];
    if (left.length > 0) {
      const key = `${tier} answered, ${left.join("+")} left out`;
      figures.pointers.leftOut[key] = (figures.pointers.leftOut[key] ?? 0) + 1;
    }
  }

  /** The store through the API: the list (one page) and a GET of each live client, with ETags. */
  async function checkApi(w: Who, etagAfterSync?: { mid: string; etag: string }) {
    const store = stores[w];
    const listed = await request("GET", "/clients?limit=200", w);
    if (listed.status !== 200) throw new Mismatch(`GET /clients: ${listed.status} ${listed.text}`);
    match({ data: M.list(store), pagination: { hasMore: false, nextCursor: null } }, listed.body, binding, `(list of ${w})`);
    for (const c of M.listOrder(store)) {
      const res = await request("GET", `/clients/${real(c.id)}`, w);
      const expected = M.renderClient(store, c.id);
      if (res.status !== 200) throw new Mismatch(`GET ${c.id} (${w}): ${res.status} ${res.text}`);
      match(expected, res.body, binding, `(GET ${c.id} of ${w})`);
      const etag = res.headers.get("etag") ?? "";
      const render = canonical(expected);
      const before = etags.get(`${w}/${c.id}`);
      if (before && (before.render === render) !== (before.etag === etag)) {
        throw new Mismatch(
          `ETag of ${c.id} (${w}): the model says the client ${before.render === render ? "did not change" : "changed"}, ` +
            `but the ETag ${before.etag === etag ? "did not change" : "changed"} (${before.etag} → ${etag})`,
        );
      }
      if (etagAfterSync?.mid === c.id && etagAfterSync.etag !== etag) {
        throw new Mismatch(`ETag of ${c.id}: the sync answered ${etagAfterSync.etag}, GET answers ${etag}`);
      }
      etags.set(`${w}/${c.id}`, { render, etag });
      answered.push({ w, id: real(c.id), at: new Date().toISOString(), text: res.text });
    }
    // The next write's entries must be later than the instant just noted (ms resolution).
    const noted = Date.now();
    while (Date.now() <= noted) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /**
   * The compliance record (API.md §11): GET ?asOf=<instant> answers, byte for byte, what GET
   * answered at every instant noted (deleted clients included); before a client's first entry and
   * after its deletion it is a 404; every client's chain verifies.
   */
  async function checkHistory() {
    for (const seen of answered) {
      const res = await request("GET", `/clients/${seen.id}?asOf=${encodeURIComponent(seen.at)}`, seen.w);
      if (res.status !== 200 || res.text !== seen.text) {
        throw new Mismatch(`GET /clients/${seen.id}?asOf=${seen.at} (${seen.w}): ${res.status}, expected what GET answered then:\n  then: ${seen.text.slice(0, 600)}\n  asOf: ${res.text.slice(0, 600)}`);
      }
      if (res.headers.get("etag") !== null) throw new Mismatch(`GET ?asOf answered an ETag`);
      figures.history.asOfCompared++;
    }
    for (const w of ["A", "B", "AL"] as const) {
      const db = h.binding(M.STORES[w].env);
      const firsts = await db
        .prepare(
          // Deleted: its row is gone (a `delete` entry may also be a link removed from a live client).
          "SELECT h.client_id AS id, min(h.at) AS first, NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = h.client_id) AS deleted FROM client_history h WHERE h.tenant_id = ? AND h.part = 0 GROUP BY h.client_id",
        )
        .bind(tenants[M.STORES[w].tenant])
        .all<{ id: string; first: string; deleted: number }>();
      for (const client of firsts.results) {
        const before = new Date(Date.parse(client.first) - 1).toISOString();
        const early = await request("GET", `/clients/${client.id}?asOf=${encodeURIComponent(before)}`, w);
        if (early.status !== 404) throw new Mismatch(`GET /clients/${client.id}?asOf=${before}, before its first entry: ${early.status}, expected 404`);
        figures.history.beforeCreation++;
        if (client.deleted === 1) {
          const late = await request("GET", `/clients/${client.id}?asOf=${encodeURIComponent(new Date().toISOString())}`, w);
          if (late.status !== 404) throw new Mismatch(`GET /clients/${client.id}?asOf=now, after its deletion: ${late.status}, expected 404`);
          figures.history.afterDeletion++;
        }
        const verify = await request("GET", `/clients/${client.id}/history/verify`, w);
        if (verify.status !== 200 || verify.body.valid !== true) throw new Mismatch(`history of ${client.id} does not verify: ${verify.status} ${verify.text}`);
        figures.history.chainsVerified++;
      }
    }
  }

  /** The store's rows, straight from its environment's D1, scoped by tenant. */
  async function checkRows(w: Who) {
    const store = stores[w];
    const db = h.binding(M.STORES[w].env);
    const tenant = tenants[M.STORES[w].tenant];
    const q = (sql: string) => db.prepare(sql).bind(tenant);
    const results = await db.batch([
      q("SELECT id, type, name, last_name, external_id, is_primary, created_at, updated_at FROM clients WHERE tenant_id = ? ORDER BY created_at, id"),
      q("SELECT id, client_id, type, is_primary, street, city, state, postal_code, external_id, created_at, updated_at FROM addresses WHERE tenant_id = ? ORDER BY created_at, id"),
      q("SELECT id, client_id, type, value, is_primary, external_id, created_at, updated_at FROM contact_methods WHERE tenant_id = ? ORDER BY created_at, id"),
      q("SELECT id, parent_client_id, child_client_id, relationship_type, created_at, updated_at FROM client_links WHERE tenant_id = ? ORDER BY created_at, id"),
      q("SELECT (SELECT count(*) FROM bank_accounts WHERE tenant_id = ?1) + (SELECT count(*) FROM documents WHERE tenant_id = ?1) AS n"),
    ]);
    const sorted = <T extends { created: number; ord: number }>(m: Map<string, T>) => [...m.values()].sort((a, b) => a.created - b.created || a.ord - b.ord);
    const stamps = (r: { created: number; updated: number }) => ({ created_at: new M.Ts(r.created), updated_at: new M.Ts(r.updated) });
    const expected = [
      sorted(store.clients).map((c) => ({ id: new M.Id(c.id), type: c.type, name: c.name, last_name: c.lastName, external_id: c.externalId, is_primary: c.isPrimary ? 1 : 0, ...stamps(c) })),
      sorted(store.addresses).map((a) => ({
        id: new M.Id(a.id), client_id: new M.Id(a.clientId), type: a.type, is_primary: a.isPrimary ? 1 : 0, street: a.street, city: a.city,
        state: a.state, postal_code: a.postalCode, external_id: a.externalId, ...stamps(a),
      })),
      sorted(store.contactMethods).map((m) => ({
        id: new M.Id(m.id), client_id: new M.Id(m.clientId), type: m.type, value: m.value, is_primary: m.isPrimary ? 1 : 0, external_id: m.externalId, ...stamps(m),
      })),
      sorted(store.links).map((l) => ({ id: new M.Id(l.id), parent_client_id: new M.Id(l.parent), child_client_id: new M.Id(l.child), relationship_type: l.relationshipType, ...stamps(l) })),
      [{ n: 0 }],
    ];
    match(expected, results.map((r) => r.results), binding, `(D1 rows of ${w}: clients, addresses, contact_methods, client_links, others)`);
  }

  let step = 0;
  try {
    for (const cmd of cmds) {
      step++;
      figures.steps++;
      figures.ops[cmd.op] = (figures.ops[cmd.op] ?? 0) + 1;
      const w = cmd.who;
      const store = stores[w];
      let expected: M.Outcome;
      let res: Awaited<ReturnType<typeof request>>;
      let described: string;
      let etagAfterSync: { mid: string; etag: string } | undefined;
      if (cmd.op === "batch") {
        described = `POST /clients/batch ${show({ atomic: cmd.atomic, items: cmd.items }, 2000)}`;
        expected = M.batch(store, ids, step, cmd.items, cmd.atomic);
        res = await request("POST", "/clients/batch", w, strip({ items: cmd.items, atomic: cmd.atomic }));
      } else if (cmd.op === "sync") {
        const liveClient = (mid: string) => store.clients.has(mid);
        const clientId = cmd.clientId === undefined ? undefined : resolve(created.clients, cmd.clientId, w, liveClient);
        // The client the sync is about (per the model), so that own:n names one of its children.
        const about =
          clientId ?? [...store.clients.values()].find((c) => typeof cmd.client?.externalId === "string" && c.externalId === cmd.client.externalId)?.id;
        const ofClient = (table: Map<string, { clientId: string }>) => (mid: string) => table.get(mid)?.clientId === about;
        const req: M.SyncIn = {
          clientId,
          client: cmd.client,
          addresses: cmd.addresses?.map((a) => strip({ ...a, id: a.id === undefined ? undefined : resolve(created.addresses, a.id, w, ofClient(store.addresses)) })),
          contactMethods: cmd.contactMethods?.map((m) =>
            strip({ ...m, id: m.id === undefined ? undefined : resolve(created.contactMethods, m.id, w, ofClient(store.contactMethods)) }),
          ),
          linkedClients: cmd.linkedClients?.map((l) => strip({ ...l, clientId: l.clientId === undefined ? undefined : resolve(created.clients, l.clientId, w, liveClient) })),
          replaceMode: cmd.replaceMode,
          dryRun: cmd.dryRun,
        };
        const body = strip({
          ...req,
          clientId: req.clientId && real(req.clientId),
          addresses: req.addresses?.map((a) => strip({ ...a, id: a.id && real(a.id) })),
          contactMethods: req.contactMethods?.map((m) => strip({ ...m, id: m.id && real(m.id) })),
          linkedClients: req.linkedClients?.map((l) => strip({ ...l, clientId: l.clientId && real(l.clientId) })),
        });
        described = `POST /clients/sync ${show(strip(req), 2000)}`;
        const { outcome, next } = M.sync(store, ids, step, strip(req));
        expected = outcome;
        stores[w] = next;
        res = await request("POST", "/clients/sync", w, body);
        if (outcome.status === 200) coverSync(figures, req, outcome.body as SyncBody);
        for (const why of new Set(outcome.why ?? [`${outcome.status} early`])) if (outcome.status !== 200) figures.coverage[`fail ${why}`] = (figures.coverage[`fail ${why}`] ?? 0) + 1;
        if (outcome.status === 200 && !req.dryRun) {
          const b = outcome.body as { client: { id: M.Id }; addresses: { created: { id: M.Id }[] }; contactMethods: { created: { id: M.Id }[] } };
          for (const a of b.addresses.created) created.addresses.push({ mid: a.id.mid, who: w });
          for (const m of b.contactMethods.created) created.contactMethods.push({ mid: m.id.mid, who: w });
          etagAfterSync = { mid: b.client.id.mid, etag: res.headers.get("etag") ?? "" };
        }
      } else if (cmd.op === "delete") {
        const mid = resolve(created.clients, cmd.ref, w, (m) => store.clients.has(m));
        described = `DELETE /clients/<${mid}>`;
        expected = M.del(store, mid);
        res = await request("DELETE", `/clients/${real(mid)}`, w);
      } else if (cmd.op === "get") {
        const mid = resolve(created.clients, cmd.ref, w, (m) => store.clients.has(m));
        described = `GET /clients/<${mid}>`;
        expected = M.get(store, mid);
        res = await request("GET", `/clients/${real(mid)}`, w);
      } else {
        described = `GET /clients?limit=${cmd.limit}${cmd.externalId ? `&externalId=${cmd.externalId}` : ""} (every page)`;
        const all = M.list(store, cmd.externalId);
        let cursor: string | null = null;
        let page = 0;
        do {
          const qs = `limit=${cmd.limit}${cmd.externalId ? `&externalId=${cmd.externalId}` : ""}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
          res = await request("GET", `/clients?${qs}`, w);
          const slice = all.slice(page * cmd.limit, (page + 1) * cmd.limit);
          const hasMore = all.length > (page + 1) * cmd.limit;
          if (res.status !== 200) break;
          if (typeof res.body?.pagination?.nextCursor === "string" && hasMore) cursor = res.body.pagination.nextCursor;
          match({ data: slice, pagination: { hasMore, nextCursor: hasMore ? res.body?.pagination?.nextCursor : null } }, res.body, binding, `(page ${page + 1})`);
          if (hasMore && typeof cursor !== "string") throw new Mismatch("hasMore without a nextCursor");
          page++;
          if (!hasMore) break;
        } while (page < 50);
        expected = { status: 200, body: res!.body };
      }
      trace.push(`#${step} ${w.padEnd(2)} ${described} → ${res.status}${res.status === expected.status ? "" : ` (model: ${expected.status})`}`);
      await checkStatus(step, expected, res);
      for (const mid of expected.createdClients ?? []) created.clients.push({ mid, who: w });
      // The whole state after the step: every store in D1, the touched one through the API too.
      await checkApi(w, etagAfterSync);
      for (const s of ["A", "B", "AL"] as const) await checkRows(s);
    }
    // At the end, every store through the API (tenant and environment isolation, read side).
    for (const s of ["A", "B", "AL"] as const) await checkApi(s);
    await checkHistory();
    if (printTrace) console.log(`[model] sequence ${figures.sequences}:\n    ${trace.join("\n    ")}`);
  } catch (error) {
    if (!(error instanceof Mismatch)) throw error;
    throw new Error(`Model mismatch at step ${step}: ${error.message}\n  Sequence as run (model ids in <>):\n    ${trace.join("\n    ")}`);
  }
}
