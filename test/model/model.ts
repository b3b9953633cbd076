// An in-memory model of the Clients API, written from /work/shared/API.md and docs/DECISIONS.md
// alone — it imports nothing from src/. It covers a deliberately small slice of the API: clients
// (type, name, lastName, externalId), addresses and contact methods (with externalIds and primary
// slots), links (clientId / child / _delete / relationshipType), batch (atomic or not), sync
// (replaceMode, dryRun), GET, list and DELETE.
//
// Ids and timestamps the server generates are unknown to the model: it answers with placeholders
// (`Id("c3")`, `Ts(step)`) that the comparator (compare.ts) unifies with the real values.
//
// Where API.md and DECISIONS.md are silent the model chose (and the service agrees unless noted):
// - report lists `updated` / `deleted` are sets (their order is not specified); `created` is in
//   input order (DECISIONS: ids sort in the order the caller sent them);
// - a contact method's type is inferred on create only; a later value must fit the stored type;
// - isPrimary:false on the primary leaves the slot empty (nothing is promoted);
// - a link is "updated" when the link or the linked client's own fields changed (DECISIONS);
// - a self link is a 400 also when child.externalId names the synced client by its stored or its
//   new externalId;
// - batch: see `batch` below;
// - an unknown clientId is a 404 once the body's shape is valid (DECISIONS).
//
// Errors: the model predicts every problem of a refused request with its JSON Pointer and its
// tier — `shape` (the body is wrong whatever is stored: blank strings), `bad` (a 400 the stored
// state decides), `notFound`, `conflict` — and the status (a 400 if any shape or bad problem, else
// 404, else 409). API.md §3 wants every problem in one answer; the comparator (runner.ts) checks
// that the answer names no pointer the model did not predict, and every pointer of the first tier
// that has one (so that it holds whether or not the service reports the other tiers with it).

// ------------------------------------------------------------------------------------------------
// Placeholders
// ------------------------------------------------------------------------------------------------

/** A server-generated id, known to the model by its model id. */
export class Id {
  constructor(readonly mid: string) {}
  toJSON() {
    return `<${this.mid}>`;
  }
}
/** A server timestamp: the `now` of the request made at step `step`. */
export class Ts {
  constructor(readonly step: number) {}
  toJSON() {
    return `<t${this.step}>`;
  }
}
/** The `errors` of a problem: compared as the set of their pointers. */
export class Pointers {
  constructor(readonly pointers: string[]) {}
  toJSON() {
    return this.pointers;
  }
}
/** An object of which only these keys are compared (a problem's status and code). */
export class Some {
  constructor(readonly keys: Record<string, unknown>) {}
  toJSON() {
    return { ...this.keys, "…": "…" };
  }
}
/** A list whose order the contract leaves open: compared as a set (elements sorted by model id). */
export class Unordered {
  constructor(readonly items: unknown[]) {}
  toJSON() {
    return this.items;
  }
}

// ------------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------------

export type StoreName = "A" | "B" | "AL";
/** A = tenant A in `test`, B = tenant B in `test` (same externalIds), AL = tenant A in `live`. */
export const STORES: Record<StoreName, { env: "test" | "live"; tenant: "A" | "B" }> = {
  A: { env: "test", tenant: "A" },
  B: { env: "test", tenant: "B" },
  AL: { env: "live", tenant: "A" },
};

interface Stamped {
  id: string;
  /** Step of creation, then a global creation counter: the order of (createdAt, id). */
  created: number;
  ord: number;
  updated: number;
}
export interface MClient extends Stamped {
  type: string;
  name: string;
  lastName: string | null;
  externalId: string | null;
  isPrimary: boolean;
}
export interface MAddress extends Stamped {
  clientId: string;
  type: string;
  isPrimary: boolean;
  street: string;
  city: string;
  state: string;
  postalCode: string;
  externalId: string | null;
}
export interface MContact extends Stamped {
  clientId: string;
  type: string;
  value: string;
  isPrimary: boolean;
  externalId: string | null;
}
export interface MLink extends Stamped {
  parent: string;
  child: string;
  relationshipType: string | null;
}
export interface Store {
  clients: Map<string, MClient>;
  addresses: Map<string, MAddress>;
  contactMethods: Map<string, MContact>;
  links: Map<string, MLink>;
}
export const emptyStore = (): Store => ({ clients: new Map(), addresses: new Map(), contactMethods: new Map(), links: new Map() });
const cloneStore = (s: Store): Store => structuredClone(s);

/** Model ids: c… clients, a… addresses, m… contact methods, l… links. */
export class IdSource {
  private n = 0;
  next(prefix: string): { id: string; ord: number } {
    const ord = ++this.n;
    return { id: `${prefix}${ord}`, ord };
  }
}

// ------------------------------------------------------------------------------------------------
// Inputs (model ids in place of real ids)
// ------------------------------------------------------------------------------------------------

export interface ClientIn {
  type?: string;
  name?: string;
  lastName?: string | null;
  externalId?: string | null;
}
export interface AddressIn {
  id?: string;
  externalId?: string | null;
  street?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  isPrimary?: boolean;
  _delete?: boolean;
}
export interface ContactIn {
  id?: string;
  externalId?: string | null;
  type?: string;
  value?: string;
  isPrimary?: boolean;
  _delete?: boolean;
}
export interface LinkIn {
  clientId?: string;
  child?: ClientIn;
  relationshipType?: string | null;
  _delete?: boolean;
}
export interface SyncIn {
  clientId?: string;
  client?: ClientIn;
  addresses?: AddressIn[];
  contactMethods?: ContactIn[];
  linkedClients?: LinkIn[];
  replaceMode?: boolean;
  dryRun?: boolean;
}

export type Tier = "shape" | "bad" | "notFound" | "conflict";
export interface PredictedError {
  pointer: string;
  tier: Tier;
}

export interface Outcome {
  status: number;
  /** For 200: the body with placeholders. For errors: the problem `code`. */
  body?: unknown;
  code?: string;
  /** For errors: every problem the model predicts, with its pointer and tier. */
  errors?: PredictedError[];
  /** The answer must list exactly `errors` (a batch lists every failing item), not only its first tier. */
  exactErrors?: boolean;
  /** The model ids a successful request created (persisted), by kind, in creation order. */
  createdClients?: string[];
  /** Why the model chose this answer (counted in the figures' coverage of refusals). */
  why?: string[];
}

const CODES: Record<number, string> = { 400: "BAD_REQUEST", 404: "NOT_FOUND", 409: "CONFLICT" };
const fail = (status: number, errors: PredictedError[] = []): Outcome => ({ status, code: CODES[status], errors });

/** RFC 6901 JSON Pointer of a path into the request body. */
export const pointer = (path: readonly (string | number)[]) => path.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

// ------------------------------------------------------------------------------------------------
// Rules of §4, written here independently
// ------------------------------------------------------------------------------------------------

const blank = (s: unknown) => typeof s === "string" && s.trim() === "";
const isEmail = (v: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v);
const isPhone = (v: string) => {
  const digits = v.replace(/[+ .\-()]/g, "");
  return /^[0-9]+$/.test(digits) && digits.length >= 7 && digits.length <= 15;
};
/** §4.3: contains @ → email; looks like a phone number → phone; else other. */
const inferType = (v: string) => (v.includes("@") ? "email" : isPhone(v) ? "phone" : "other");
function contactValueOk(type: string, value: string) {
  if (type === "email") return isEmail(value);
  if (type === "phone" || type === "mobile" || type === "fax") return isPhone(value);
  return true;
}

const byOrder = <T extends Stamped>(a: T, b: T) => a.created - b.created || a.ord - b.ord;

// ------------------------------------------------------------------------------------------------
// Rendering (§4 output shapes)
// ------------------------------------------------------------------------------------------------

function derived(contacts: MContact[], types: string[]): string | null {
  for (const type of types) {
    const ofType = contacts.filter((c) => c.type === type).sort(byOrder);
    const chosen = ofType.find((c) => c.isPrimary) ?? ofType[0];
    if (chosen) return chosen.value;
  }
  return null;
}

function clientOwn(s: Store, c: MClient) {
  const contacts = [...s.contactMethods.values()].filter((m) => m.clientId === c.id);
  return {
    id: new Id(c.id),
    type: c.type,
    name: c.name,
    middleName: null,
    lastName: c.lastName,
    isPrimary: c.isPrimary,
    nationalities: [],
    scopes: [],
    externalId: c.externalId,
    metadata: {},
    birthDate: null,
    age: null,
    scopeData: {},
    employment: null,
    email: derived(contacts, ["email"]),
    phone: derived(contacts, ["phone", "mobile"]),
    createdAt: new Ts(c.created),
    updatedAt: new Ts(c.updated),
  };
}

export const addressOut = (a: MAddress) => ({
  id: new Id(a.id),
  clientId: new Id(a.clientId),
  type: a.type,
  isPrimary: a.isPrimary,
  street: a.street,
  city: a.city,
  state: a.state,
  postalCode: a.postalCode,
  country: null,
  externalId: a.externalId,
  metadata: {},
  scopeData: {},
  createdAt: new Ts(a.created),
  updatedAt: new Ts(a.updated),
});

export const contactOut = (m: MContact) => ({
  id: new Id(m.id),
  clientId: new Id(m.clientId),
  type: m.type,
  value: m.value,
  isPrimary: m.isPrimary,
  label: null,
  externalId: m.externalId,
  metadata: {},
  isVerified: false,
  verifiedAt: null,
  createdAt: new Ts(m.created),
  updatedAt: new Ts(m.updated),
});

const linkOut = (s: Store, l: MLink) => ({
  id: new Id(l.id),
  relationshipType: l.relationshipType,
  client: clientOwn(s, s.clients.get(l.child)!),
  metadata: {},
  createdAt: new Ts(l.created),
  updatedAt: new Ts(l.updated),
});

export function renderClient(s: Store, id: string) {
  const c = s.clients.get(id)!;
  const of = <T extends Stamped & { clientId: string }>(m: Map<string, T>) => [...m.values()].filter((x) => x.clientId === id).sort(byOrder);
  return {
    ...clientOwn(s, c),
    addresses: of(s.addresses).map(addressOut),
    contactMethods: of(s.contactMethods).map(contactOut),
    bankAccounts: [],
    documents: [],
    linkedClients: [...s.links.values()].filter((l) => l.parent === id).sort(byOrder).map((l) => linkOut(s, l)),
    riskAssessments: {},
    tags: [],
  };
}

/** Clients of the store in list order (createdAt, id). */
export const listOrder = (s: Store) => [...s.clients.values()].sort(byOrder);

// ------------------------------------------------------------------------------------------------
// The API
// ------------------------------------------------------------------------------------------------

export function get(s: Store, id: string): Outcome {
  return s.clients.has(id) ? { status: 200, body: renderClient(s, id) } : fail(404, []);
}

export function list(s: Store, externalId?: string) {
  return listOrder(s)
    .filter((c) => externalId === undefined || c.externalId === externalId)
    .map((c) => renderClient(s, c.id));
}

/** §7: removes the client, its children and every link touching it; linked clients stay. */
export function del(s: Store, id: string): Outcome {
  if (!s.clients.has(id)) return fail(404, []);
  s.clients.delete(id);
  for (const m of [s.addresses, s.contactMethods] as Map<string, { clientId: string }>[]) {
    for (const [k, v] of m) if (v.clientId === id) m.delete(k);
  }
  for (const [k, l] of s.links) if (l.parent === id || l.child === id) s.links.delete(k);
  return { status: 200, body: { id: new Id(id), deleted: true } };
}

/**
 * §5. Choice where the contract is silent: an externalId that "appears twice in the same body"
 * makes the later item a CONFLICT only when the earlier occurrence is a valid item (an invalid item
 * is no client of the body), so with atomic:false the later one is created.
 */
export function batch(s: Store, ids: IdSource, step: number, items: ClientIn[], atomic: boolean | undefined): Outcome {
  type Fail = { index: number; status: 400 | 409; pointers: string[] };
  const failures: Fail[] = [];
  const valid: number[] = [];
  items.forEach((item, index) => {
    // §4: blank strings, and the keys a new client needs (type, name).
    const wrong = (["name", "lastName", "externalId"] as const).filter((k) => blank(item[k]));
    const missing = (["type", "name"] as const).filter((k) => item[k] === undefined);
    const pointers = [...wrong, ...missing].map((k) => pointer(["items", index, k]));
    if (pointers.length === 0) valid.push(index);
    else failures.push({ index, status: 400, pointers });
  });
  // The later occurrence of an externalId in the body conflicts (the earlier one being a valid item:
  // an invalid item is not a client of the body). Then the ones a stored client holds.
  const seen = new Set<string>();
  const candidates: number[] = [];
  const conflict = (index: number): Fail => ({ index, status: 409, pointers: [pointer(["items", index, "externalId"])] });
  for (const index of valid) {
    const ext = items[index]!.externalId;
    if (typeof ext === "string" && seen.has(ext)) failures.push(conflict(index));
    else {
      if (typeof ext === "string") seen.add(ext);
      candidates.push(index);
    }
  }
  const storedExt = new Set([...s.clients.values()].map((c) => c.externalId));
  const creatable = candidates.filter((index) => {
    const ext = items[index]!.externalId;
    if (typeof ext === "string" && storedExt.has(ext)) {
      failures.push(conflict(index));
      return false;
    }
    return true;
  });
  const isAtomic = atomic ?? true;
  failures.sort((a, b) => a.index - b.index);
  if (isAtomic && failures.length > 0) {
    // §5: the failed call lists every failing item, invalid and conflicting ones alike.
    const errors = failures.flatMap((f) => f.pointers.map((p): PredictedError => ({ pointer: p, tier: f.status === 400 ? "bad" : "conflict" })));
    return { ...fail(failures.some((f) => f.status === 400) ? 400 : 409, errors), exactErrors: true };
  }
  const created: string[] = [];
  for (const index of creatable) {
    const item = items[index]!;
    const { id, ord } = ids.next("c");
    s.clients.set(id, {
      id,
      ord,
      created: step,
      updated: step,
      type: item.type!,
      name: item.name!,
      lastName: item.lastName ?? null,
      externalId: item.externalId ?? null,
      isPrimary: true,
    });
    created.push(id);
  }
  const data = created.map((id) => renderClient(s, id));
  // The model's clients hold no RFC, CURP or CLABE: no duplicates (API.md §14).
  if (isAtomic) return { status: 200, body: { atomic: true, data, duplicates: [] }, createdClients: created };
  return {
    status: 200,
    body: {
      atomic: false,
      data,
      succeeded: creatable.map((index, i) => ({ index, data: data[i] })),
      failed: failures.map((f) => ({ index: f.index, error: new Some({ status: f.status, code: CODES[f.status], errors: new Pointers(f.pointers) }) })),
      duplicates: [],
    },
    createdClients: created,
  };
}

// --- sync -----------------------------------------------------------------------------------------

class Problems {
  readonly errors: PredictedError[] = [];
  /** Labels of the problems found (for the coverage figures). */
  why: string[] = [];
  add(tier: Tier, label: string, path: readonly (string | number)[]) {
    this.errors.push({ pointer: pointer(path), tier });
    this.why.push(`${tier}: ${label}`);
  }
  has(tier: Tier) {
    return this.errors.some((e) => e.tier === tier);
  }
  status(): number | null {
    return this.has("shape") || this.has("bad") ? 400 : this.has("notFound") ? 404 : this.has("conflict") ? 409 : null;
  }
}

function mergeClient(base: MClient, input: ClientIn): MClient {
  const next = { ...base };
  if (input.type !== undefined) next.type = input.type;
  if (input.name !== undefined) next.name = input.name;
  if (input.lastName !== undefined) next.lastName = input.lastName;
  if (input.externalId !== undefined) next.externalId = input.externalId;
  return next;
}
const ownChanged = (a: MClient, b: MClient) =>
  a.type !== b.type || a.name !== b.name || a.lastName !== b.lastName || a.externalId !== b.externalId;
/** Shape problems of a client input: blank strings (§4). */
function blankClientKeys(c: ClientIn | undefined, path: readonly (string | number)[], problems: Problems) {
  if (!c) return;
  for (const key of ["name", "lastName", "externalId"] as const) if (blank(c[key])) problems.add("shape", `blank client ${key}`, [...path, key]);
}

interface ListSpec<Row extends Stamped & { clientId: string; externalId: string | null; isPrimary: boolean }, In> {
  list: "addresses" | "contactMethods";
  prefix: string;
  fields: (keyof Row & keyof In & string)[];
  required: (keyof In & string)[];
  create(base: Stamped & { clientId: string }, item: In): Row;
  /** A 400 on the merged row (§4 rules); `created` for the type inference of contact methods. */
  invalid(row: Row): boolean;
  slot(row: Row): string;
}

const ADDRESS: ListSpec<MAddress, AddressIn> = {
  list: "addresses",
  prefix: "a",
  fields: ["externalId", "street", "city", "state", "postalCode", "isPrimary"],
  required: ["street", "city", "state", "postalCode"],
  create: (base, item) => ({
    ...base,
    type: "home",
    isPrimary: false,
    street: item.street ?? "",
    city: item.city ?? "",
    state: item.state ?? "",
    postalCode: item.postalCode ?? "",
    externalId: null,
  }),
  invalid: () => false,
  slot: () => "address",
};

const CONTACT: ListSpec<MContact, ContactIn> = {
  list: "contactMethods",
  prefix: "m",
  fields: ["externalId", "type", "value", "isPrimary"],
  required: ["value"],
  create: (base, item) => ({
    ...base,
    type: item.type ?? (item.value !== undefined ? inferType(item.value) : "other"),
    value: item.value ?? "",
    isPrimary: false,
    externalId: null,
  }),
  invalid: (row) => !contactValueOk(row.type, row.value),
  slot: (row) => `contact:${row.type}`,
};

interface ListResult {
  created: unknown[];
  updated: unknown[];
  deleted: unknown[];
}

function syncList<Row extends Stamped & { clientId: string; externalId: string | null; isPrimary: boolean }, In extends { id?: string; externalId?: string | null; isPrimary?: boolean; _delete?: boolean }>(
  spec: ListSpec<Row, In>,
  table: Map<string, Row>,
  items: In[] | undefined,
  clientId: string,
  replaceMode: boolean,
  ids: IdSource,
  step: number,
  problems: Problems,
): ListResult {
  const empty = { created: [], updated: [], deleted: [] };
  if (!items) return empty;
  const existing = [...table.values()].filter((r) => r.clientId === clientId).sort(byOrder);
  const targeted = new Set<string>();
  const seenIds = new Set<string>();
  const seenExt = new Set<string>();
  const deleted: string[] = [];
  const touched: { row: Row; index: number; claim: boolean; isNew: boolean; changed: boolean }[] = [];
  const at = (index: number, ...rest: (string | number)[]) => [spec.list, index, ...rest];

  items.forEach((item, index) => {
    if (item.id !== undefined) {
      if (seenIds.has(item.id)) {
        problems.add("bad", "duplicate id in a list", at(index, "id"));
        return;
      }
      seenIds.add(item.id);
    }
    const ext = typeof item.externalId === "string" ? item.externalId : undefined;
    if (ext !== undefined) {
      if (seenExt.has(ext)) {
        problems.add("bad", "duplicate externalId in a list", at(index, "externalId"));
        return;
      }
      seenExt.add(ext);
    }
    const target = item.id !== undefined ? existing.find((r) => r.id === item.id) : ext !== undefined ? existing.find((r) => r.externalId === ext) : undefined;
    if (item.id !== undefined && !target) {
      problems.add("notFound", "child id not on this client", at(index, "id"));
      return;
    }
    if (target) {
      if (targeted.has(target.id)) {
        problems.add("bad", "two items target one child", at(index));
        return;
      }
      targeted.add(target.id);
    }
    if (item._delete === true) {
      if (target) deleted.push(target.id);
      else if (ext === undefined) problems.add("bad", "_delete naming nothing", at(index, "_delete"));
      return; // an externalId matching nothing: nothing to delete
    }
    if (ext !== undefined && ext !== target?.externalId) {
      const owner = [...table.values()].find((r) => r.externalId === ext);
      if (owner && owner.clientId !== clientId) {
        problems.add("conflict", "child externalId of another client", at(index, "externalId"));
        return;
      }
    }
    let row: Row;
    if (target) row = { ...target };
    else {
      for (const k of spec.required) if (item[k] === undefined || item[k] === null) problems.add("bad", "required child field missing on create", at(index, k));
      const { id, ord } = ids.next(spec.prefix);
      row = spec.create({ id, ord, created: step, updated: step, clientId }, item);
    }
    for (const k of spec.fields) if (item[k] !== undefined) (row as Record<string, unknown>)[k] = item[k];
    if (spec.invalid(row)) problems.add("bad", "child fails a rule (contact value vs type)", at(index, "value"));
    const changed = !target || spec.fields.some((k) => row[k] !== target[k]);
    touched.push({ row, index, claim: item.isPrimary === true, isNew: !target, changed });
  });
  if (replaceMode) for (const r of existing) if (!targeted.has(r.id) && !deleted.includes(r.id)) deleted.push(r.id);

  const touchedIds = new Set(touched.map((t) => t.row.id));
  const survivors = existing.filter((r) => !deleted.includes(r.id) && !touchedIds.has(r.id)).map((r) => ({ ...r }));
  // externalIds unique within the list once applied (the tenant-wide check is the owner one above)
  const holders = new Set(survivors.flatMap((r) => (r.externalId === null ? [] : [r.externalId])));
  for (const t of touched) {
    if (t.row.externalId === null) continue;
    if (holders.has(t.row.externalId)) problems.add("conflict", "child externalId taken within the list", at(t.index, "externalId"));
    holders.add(t.row.externalId);
  }
  // §4.6 + DECISIONS: one claim demotes the slot's other primaries; two claims are a 400 (at every
  // claim after the first); with no claim, a row the request touched wins, then the oldest.
  const demoted: Row[] = [];
  const entries = [
    ...touched.map((t) => ({ row: t.row, rank: t.claim ? 2 : 1, t })),
    ...survivors.map((row) => ({ row, rank: 0, t: undefined })),
  ].filter((e) => e.row.isPrimary);
  const slots = new Map<string, typeof entries>();
  for (const e of entries) slots.set(spec.slot(e.row), [...(slots.get(spec.slot(e.row)) ?? []), e]);
  for (const group of slots.values()) {
    if (group.length < 2) continue;
    const claims = group.filter((e) => e.rank === 2);
    if (claims.length > 1) {
      for (const claim of claims.slice(1)) problems.add("bad", "two primary claims in one slot", at(claim.t!.index, "isPrimary"));
      continue;
    }
    const keep = [...group].sort((a, b) => b.rank - a.rank || byOrder(a.row, b.row))[0]!;
    for (const e of group) {
      if (e === keep) continue;
      e.row.isPrimary = false;
      if (e.t) e.t.changed = true;
      else demoted.push(e.row);
    }
  }

  const result: ListResult = { created: [], updated: [], deleted: [] };
  for (const id of deleted) {
    table.delete(id);
    result.deleted.push(new Id(id));
  }
  for (const t of touched) {
    if (!t.isNew && !t.changed) continue;
    if (!t.isNew) t.row.updated = step;
    table.set(t.row.id, t.row);
  }
  for (const r of demoted) {
    r.updated = step;
    table.set(r.id, r);
  }
  // Rendered later (after links), so that the rows are final.
  result.created = touched.filter((t) => t.isNew).map((t) => t.row);
  result.updated = [...touched.filter((t) => !t.isNew && t.changed).map((t) => t.row), ...demoted];
  return result;
}

export function sync(stored: Store, ids: IdSource, step: number, req: SyncIn): { outcome: Outcome; next: Store } {
  const s = cloneStore(stored);
  const problems = new Problems();
  const refused = (): { outcome: Outcome; next: Store } => ({ outcome: { ...fail(problems.status()!, problems.errors), why: problems.why }, next: stored });

  // Shape problems (the request is wrong whatever is stored): blank strings.
  blankClientKeys(req.client, ["client"], problems);
  (req.linkedClients ?? []).forEach((l, i) => blankClientKeys(l.child, ["linkedClients", i, "child"], problems));
  (req.addresses ?? []).forEach((a, i) => {
    for (const key of ["externalId", "street"] as const) if (blank(a[key])) problems.add("shape", `blank address ${key}`, ["addresses", i, key]);
  });
  (req.contactMethods ?? []).forEach((m, i) => {
    for (const key of ["externalId", "value"] as const) if (blank(m[key])) problems.add("shape", `blank contact ${key}`, ["contactMethods", i, key]);
  });

  // --- Which client
  let current: MClient | undefined;
  if (req.clientId !== undefined) {
    current = stored.clients.get(req.clientId);
    // DECISIONS: an unknown clientId is a 404 as soon as the body's shape is valid (nothing else
    // of the request can be checked without its client); with shape problems, a 400 for them.
    if (!current) {
      problems.add("notFound", "unknown clientId", ["clientId"]);
      return refused();
    }
  } else if (!req.client) {
    problems.add("bad", "neither clientId nor client", ["client"]);
    return refused();
  } else if (typeof req.client.externalId === "string") {
    current = [...stored.clients.values()].find((c) => c.externalId === req.client!.externalId);
  }
  const creating = !current;
  let client: MClient;
  if (current) client = mergeClient(current, req.client ?? {});
  else {
    const { id, ord } = ids.next("c");
    client = mergeClient({ id, ord, created: step, updated: step, type: "", name: "", lastName: null, externalId: null, isPrimary: true }, req.client!);
    if (client.type === "") problems.add("bad", "type missing on client create", ["client", "type"]);
    if (client.name === "") problems.add("bad", "name missing on client create", ["client", "name"]);
  }
  const action = creating ? "created" : ownChanged(current!, client) ? "updated" : "unchanged";
  if (action === "updated") client.updated = step;
  if (client.externalId !== null && client.externalId !== current?.externalId) {
    const holder = [...stored.clients.values()].find((c) => c.externalId === client.externalId);
    if (holder && holder.id !== client.id) problems.add("conflict", "client externalId taken", ["client", "externalId"]);
  }
  s.clients.set(client.id, client);

  // --- Child lists
  const replaceMode = req.replaceMode ?? false;
  const addr = syncList(ADDRESS, s.addresses, req.addresses, client.id, replaceMode, ids, step, problems);
  const cms = syncList(CONTACT, s.contactMethods, req.contactMethods, client.id, replaceMode, ids, step, problems);

  // --- Links
  const linkReport = { created: [] as MLink[], updated: [] as MLink[], deleted: [] as string[] };
  const createdChildren: string[] = [];
  if (req.linkedClients) {
    const existing = [...stored.links.values()].filter((l) => l.parent === client.id);
    const targeted = new Set<string>();
    /** externalId of a new linked client → the first item that takes it. */
    const newExt = new Map<string, number>();
    const byExt = (ext: string) => [...stored.clients.values()].find((c) => c.externalId === ext);
    req.linkedClients.forEach((item, index) => {
      const at = (...rest: (string | number)[]) => ["linkedClients", index, ...rest];
      const childExt = typeof item.child?.externalId === "string" ? item.child.externalId : undefined;
      if (item.clientId === undefined && item.child === undefined) {
        problems.add("bad", "link item with neither clientId nor child", at());
        return;
      }
      if (item.clientId === client.id || (item.clientId === undefined && childExt !== undefined && childExt === client.externalId)) {
        problems.add("bad", "self link", at());
        return;
      }
      let target: MClient | undefined;
      if (item.clientId !== undefined) {
        target = stored.clients.get(item.clientId);
        if (!target) {
          problems.add("notFound", "link clientId unknown", at("clientId"));
          return;
        }
      } else if (childExt !== undefined) target = byExt(childExt);
      if (target && target.id === client.id) {
        problems.add("bad", "self link (stored externalId)", at());
        return;
      }
      if (target) {
        if (targeted.has(target.id)) {
          problems.add("bad", "two link items name one client", at());
          return;
        }
        targeted.add(target.id);
      }
      if (item._delete === true) {
        const link = target && existing.find((l) => l.child === target!.id);
        if (link) {
          s.links.delete(link.id);
          linkReport.deleted.push(link.id);
        } else if (item.clientId === undefined && childExt === undefined) problems.add("bad", "link _delete naming nothing", at("_delete"));
        return;
      }
      let child: MClient;
      let childChanged = false;
      if (target) {
        child = target;
        if (item.child) {
          const merged = mergeClient(target, item.child);
          if (merged.externalId !== null && merged.externalId !== target.externalId) {
            const holder = byExt(merged.externalId);
            if ((holder && holder.id !== target.id) || merged.externalId === client.externalId) problems.add("conflict", "linked child externalId taken", at("child", "externalId"));
          }
          if (ownChanged(target, merged)) {
            child = { ...merged, updated: step };
            childChanged = true;
            s.clients.set(child.id, child);
          }
        }
      } else {
        const { id, ord } = ids.next("c");
        child = mergeClient({ id, ord, created: step, updated: step, type: "", name: "", lastName: null, externalId: null, isPrimary: false }, item.child!);
        if (child.type === "") problems.add("bad", "type missing on linked child create", at("child", "type"));
        if (child.name === "") problems.add("bad", "name missing on linked child create", at("child", "name"));
        if (childExt !== undefined) {
          if (newExt.has(childExt)) {
            problems.add("bad", "duplicate new child externalId", at("child", "externalId"));
            return;
          }
          newExt.set(childExt, index);
        }
        s.clients.set(child.id, child);
        createdChildren.push(child.id);
      }
      const link = existing.find((l) => l.child === child.id);
      if (!link) {
        const { id, ord } = ids.next("l");
        const row: MLink = { id, ord, created: step, updated: step, parent: client.id, child: child.id, relationshipType: item.relationshipType ?? null };
        s.links.set(id, row);
        linkReport.created.push(row);
        return;
      }
      const next = { ...link };
      if (item.relationshipType !== undefined) next.relationshipType = item.relationshipType;
      const linkChanged = next.relationshipType !== link.relationshipType;
      if (linkChanged) next.updated = step;
      s.links.set(next.id, next);
      if (linkChanged || childChanged) linkReport.updated.push(next);
    });
    const taken = client.externalId === null ? undefined : newExt.get(client.externalId);
    if (taken !== undefined) problems.add("bad", "new child takes the client's externalId", ["linkedClients", taken, "child", "externalId"]);
    if (replaceMode) {
      for (const l of existing) {
        if (!targeted.has(l.child) && !linkReport.deleted.includes(l.id)) {
          s.links.delete(l.id);
          linkReport.deleted.push(l.id);
        }
      }
    }
  }

  if (problems.status() !== null) return refused();

  const report = (r: ListResult, out: (row: never) => unknown) => ({
    created: r.created.map((row) => out(row as never)),
    updated: new Unordered(r.updated.map((row) => out(row as never))),
    deleted: new Unordered(r.deleted),
  });
  const body = {
    action,
    client: renderClient(s, client.id),
    addresses: report(addr, addressOut as never),
    contactMethods: report(cms, contactOut as never),
    bankAccounts: { created: [], updated: [], deleted: [] },
    documents: { created: [], updated: [], deleted: [] },
    linkedClients: {
      created: linkReport.created.map((l) => linkOut(s, s.links.get(l.id)!)),
      updated: new Unordered(linkReport.updated.map((l) => linkOut(s, s.links.get(l.id)!))),
      deleted: new Unordered(linkReport.deleted.map((id) => new Id(id))),
    },
    dryRun: req.dryRun ?? false,
    duplicates: [],
  };
  const createdClients = [...(creating ? [client.id] : []), ...createdChildren];
  if (req.dryRun) return { outcome: { status: 200, body }, next: stored };
  return { outcome: { status: 200, body, createdClients }, next: s };
}
