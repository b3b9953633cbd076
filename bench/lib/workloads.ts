// The request bodies of the benchmark's workloads (W1–W8), shared by the HTTP runner (Node, against
// `wrangler dev`) and the cost runner (Workers runtime, in-process): both send the same requests.
// Plain TypeScript without imports, so that Node runs it as is and workerd bundles it.

export const LIST_SIZE = 250;

export type WorkloadId = "W1" | "W2" | "W3" | "W4" | "W5" | "W6" | "W7" | "W8";

export interface WorkloadInfo {
  id: WorkloadId;
  name: string;
  /** Writes (or may write): its p50 is compared with the floor. */
  write: boolean;
}

export const WORKLOADS: WorkloadInfo[] = [
  { id: "W1", name: "POST /clients/batch, 250 typical clients", write: true },
  { id: "W2", name: "POST /clients/sync creating a maximal client (5 × 250 items)", write: true },
  { id: "W3", name: "POST /clients/sync, W2's body again (no-op)", write: true },
  { id: "W4", name: "POST /clients/sync, 10% changed + 10% dropped (replaceMode)", write: true },
  { id: "W5", name: "GET /clients/{id}, the maximal client", write: false },
  { id: "W6", name: "GET /clients/{id}, a small populated client", write: false },
  { id: "W7", name: "GET /clients?limit=20", write: false },
  { id: "W8", name: "POST /clients/sync, keyed, ~4.8 MiB: creates, updates, deletes, externalId swaps in every list", write: true },
];

// ---------------------------------------------------------------------------------------------
// Valid Mexican identifiers (computed here, independently of the app)
// ---------------------------------------------------------------------------------------------

/** A valid CLABE: bank (3 digits), plaza (3 digits), 11 account digits, check digit. */
export function clabe(bank: string, plaza: string, account: number): string {
  const first17 = `${bank}${plaza}${String(account).padStart(11, "0")}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (Number(first17[i]) * [3, 7, 1][i % 3]!) % 10;
  return first17 + String((10 - (sum % 10)) % 10);
}

const CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/** A valid CURP (born 1980-01-01) with its check digit. */
export function curp(first17 = "GOMA800101HDFRRN0"): string {
  let sum = 0;
  [...first17].forEach((c, i) => (sum += CURP_ALPHABET.indexOf(c) * (18 - i)));
  return first17 + String((10 - (sum % 10)) % 10);
}

const RFC_INDIVIDUAL = "GOMA800101AB1";
const CURP = curp();

const SCOPES = ["base", "MX", "MX:AV", "MX:AV:ARI", "MX:AV:AVI", "MX:AV:INM", "MX:AV:JYS", "MX:AV:MJR", "MX:AV:MPC", "MX:AV:TSC", "MX:AV:VEH", "MX:CNBV", "MX:CNBV:TRANSMISOR"];
const CONTACT_TYPES = ["email", "phone", "mobile", "fax", "other"] as const;
const ADDRESS_TYPES = ["home", "business", "mailing", "legal", "other"] as const;
const ACCOUNT_TYPES = ["checking", "savings", "investment", "other"] as const;
const RELATIONSHIPS = ["legal_representative", "controlling_beneficiary", "guarantor"] as const;

// ---------------------------------------------------------------------------------------------
// W1: a batch of 250 typical clients
// ---------------------------------------------------------------------------------------------

/** A typical client as a CRM would send it: identity, a scope or two, an RFC and a CURP. */
export function typicalClient(externalId: string, i: number) {
  return {
    type: "individual",
    name: `Cliente ${i}`,
    lastName: "García",
    birthDate: "1980-01-01",
    nationalities: ["MX"],
    scopes: ["base", "MX"],
    externalId,
    metadata: { source: "bench", i },
    scopeData: { MX: { rfc: RFC_INDIVIDUAL, curp: CURP } },
  };
}

export function batchBody(prefix: string) {
  return { items: Array.from({ length: LIST_SIZE }, (_, i) => typicalClient(`${prefix}-${i}`, i)) };
}

// ---------------------------------------------------------------------------------------------
// W2–W4: the maximal sync, and its changes
// ---------------------------------------------------------------------------------------------

/** A client with every optional field set. */
function fullClient(externalId: string, i: number, filler?: string) {
  return {
    type: "individual",
    name: `Name ${i}`,
    middleName: "Middle",
    lastName: "Last",
    birthDate: "1980-01-01",
    nationalities: ["MX", "US", "ES"],
    scopes: SCOPES,
    externalId,
    metadata: filler === undefined ? { source: "bench", i } : { source: "bench", i, filler },
    employment: { isEmployee: true, employeeId: `E${i}`, position: "Analyst", department: "Risk", startDate: "2020-02-29" },
    scopeData: {
      MX: {
        rfc: RFC_INDIVIDUAL,
        curp: CURP,
        actividadVulnerable: { ARI: {}, AVI: { username: "user" }, INM: {}, JYS: {}, MJR: {}, MPC: {}, TSC: {}, VEH: {} },
        cnbv: { TRANSMISOR: { numeroCuenta: "123456", claveSujetoObligado: "ABC" } },
      },
      US: { ssnLast4: "1234" },
    },
  };
}

function contactValue(type: (typeof CONTACT_TYPES)[number], i: number): string {
  if (type === "email") return `person${i}@example.com`;
  if (type === "other") return `handle-${i}`;
  return `+52 55 ${String(1000 + i)} ${String(i).padStart(4, "0")}`;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The maximal sync body: the client and 250 items in each of the five lists, every optional field
 * set, every item with an externalId (so the same body again is a no-op).
 */
export function maximalSyncBody(ext: string, fill?: Fill) {
  const metadata = (i: number) => (fill === undefined ? { i } : { i, filler: fill.filler });
  return {
    client: fullClient(ext, 0, fill?.filler),
    addresses: range(LIST_SIZE).map((i) => ({
      type: ADDRESS_TYPES[i % 5],
      isPrimary: i === 0,
      street: `Street ${i}`,
      city: "Ciudad de México",
      state: "CDMX",
      postalCode: String(10000 + i),
      country: "MX",
      externalId: `${ext}-a${i}`,
      metadata: metadata(i),
      scopeData: {
        MX: {
          exteriorNumber: "1",
          interiorNumber: "2",
          neighborhood: "Juárez",
          municipality: "Cuauhtémoc",
          betweenStreets: "A y B",
          reference: "Door",
          cnbv: { TRANSMISOR: { localidad: "01" } },
        },
        US: { county: "x" },
      },
    })),
    contactMethods: range(LIST_SIZE).map((i) => {
      const type = CONTACT_TYPES[i % 5]!;
      return { type, value: contactValue(type, i), isPrimary: i < 5, label: `label ${i}`, externalId: `${ext}-c${i}`, metadata: metadata(i) };
    }),
    bankAccounts: range(LIST_SIZE).map((i) => ({
      accountNumber: `ACC${i}`,
      bankName: "BBVA México",
      bankCode: "BBVA",
      country: "MX",
      currency: "MXN",
      type: ACCOUNT_TYPES[i % 4],
      isPrimary: i === 0,
      isActive: i % 2 === 0,
      label: `account ${i}`,
      externalId: `${ext}-b${i}`,
      metadata: metadata(i),
      clabe: clabe("002", "180", i + 1),
      codigoBanco: "002",
      codigoPlaza: "180",
    })),
    documents: range(LIST_SIZE).map((i) => ({
      type: "ine",
      category: "identity",
      expiresAt: "2031-12-31",
      externalId: `${ext}-d${i}`,
      metadata: metadata(i),
      fields: fill === undefined ? { number: `N${i}` } : { number: `N${i}`, filler: fill.fieldsFiller },
      filename: `ine-${i}.pdf`,
      contentType: "application/pdf",
      size: 1024 * (i + 1),
    })),
    linkedClients: range(LIST_SIZE).map((i) => ({
      child: fullClient(`${ext}-l${i}`, i + 1, fill?.filler),
      relationshipType: RELATIONSHIPS[i % 3],
      metadata: metadata(i),
    })),
  };
}

/** Items [0, CHANGED) of every list change; items [CHANGED, CHANGED + DROPPED) are left out. */
export const CHANGED = LIST_SIZE / 10;
export const DROPPED = LIST_SIZE / 10;

/**
 * W4: the maximal body of `ext` with 10% of the items of every list changed and another 10% left
 * out, with replaceMode (so those are deleted; dropped links are unlinked, their clients stay).
 */
export function changedSyncBody(ext: string) {
  const body = maximalSyncBody(ext);
  const keep = <T>(items: T[], change: (item: T) => T) =>
    items.flatMap((item, i) => (i < CHANGED ? [change(item)] : i < CHANGED + DROPPED ? [] : [item]));
  return {
    client: body.client,
    addresses: keep(body.addresses, (a) => ({ ...a, city: "Puebla" })),
    contactMethods: keep(body.contactMethods, (c) => ({ ...c, label: `${c.label} (changed)` })),
    bankAccounts: keep(body.bankAccounts, (b) => ({ ...b, label: `${b.label} (changed)`, isActive: !b.isActive })),
    documents: keep(body.documents, (d) => ({ ...d, expiresAt: "2032-06-30", fields: { ...d.fields, changed: true } })),
    linkedClients: keep(body.linkedClients, (l) => ({ ...l, metadata: { ...l.metadata, changed: true } })),
    replaceMode: true,
  };
}

/** What W4 changes and deletes in each list of the maximal client, for reading its answer. */
export const W4_EXPECTED = { updated: CHANGED, deleted: DROPPED };

// ---------------------------------------------------------------------------------------------
// W8: the keyed worst case near 5 MiB (as test/sync/budget.test.ts "the keyed worst case")
// ---------------------------------------------------------------------------------------------

/** Padding of a maximal body: `filler` in every metadata, `fieldsFiller` in every document's fields. */
export interface Fill {
  filler: string;
  fieldsFiller: string;
}

const MiB = 1024 * 1024;
const utf8Bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;
/** Objects whose metadata carries the filler: the client, 5 × 250 items, 250 linked clients. */
const FILLED_SLOTS = 1 + LIST_SIZE * 5 + LIST_SIZE;
const FIELDS_FILLER = "f".repeat(2048);

/** The padding that brings `unpadded` (bytes of the body without padding) to about `target` bytes. */
function fillTo(target: number, unpadded: number, char: string): Fill {
  const filler = char.repeat(Math.floor((target - unpadded - LIST_SIZE * FIELDS_FILLER.length) / FILLED_SLOTS));
  return { filler, fieldsFiller: FIELDS_FILLER };
}

/** W8's setup (untimed): the maximal client of `ext`, padded to about 4.8 MiB. */
export function w8StoredBody(ext: string) {
  return maximalSyncBody(ext, fillTo(4.8 * MiB, utf8Bytes(maximalSyncBody(ext)), "m"));
}

const CHILD_LISTS = [
  ["addresses", "a"],
  ["contactMethods", "c"],
  ["bankAccounts", "b"],
  ["documents", "d"],
] as const;

/** The ids and externalIds of the stored client's children, per list (from W8's setup answer). */
export type StoredChildren = Record<(typeof CHILD_LISTS)[number][0], { id: string; externalId: string }[]>;

/**
 * W8: over the client `w8StoredBody(ext)` made, with replaceMode and an Idempotency-Key, about
 * 4.85 MiB: in every child list items 0 and 1 swap their externalIds (each targeted by id), items
 * 2–124 change (every metadata's filler does), 125 new items are created and the 125 stored ones
 * not listed are deleted; 125 linked clients change and 125 new ones are created and linked (the
 * other 125 links are removed).
 */
export function w8Body(ext: string, stored: StoredChildren) {
  const make = (fill: Fill | undefined) => {
    const body = maximalSyncBody(ext, fill);
    const out: Record<string, unknown> = { client: body.client, replaceMode: true };
    for (const [list, tag] of CHILD_LISTS) {
      const idOf = new Map(stored[list].map((c) => [c.externalId, c.id]));
      out[list] = (body[list] as { externalId: string }[]).map((item, i) => {
        if (i >= LIST_SIZE / 2) return { ...item, externalId: `${ext}-n${tag}${i}` };
        if (i > 1) return item;
        return { ...item, id: idOf.get(`${ext}-${tag}${i}`), externalId: `${ext}-${tag}${1 - i}` };
      });
    }
    out.linkedClients = body.linkedClients.map((link, i) => (i < LIST_SIZE / 2 ? link : { ...link, child: { ...link.child, externalId: `${ext}-nl${i}` } }));
    return out;
  };
  return make(fillTo(4.85 * MiB, utf8Bytes(make(undefined)), "w"));
}

/** What W8's answer must report in every list. */
export const W8_EXPECTED = { created: LIST_SIZE / 2, updated: LIST_SIZE / 2, deleted: LIST_SIZE / 2 };

// ---------------------------------------------------------------------------------------------
// Typical traffic (T1–T6): the requests users send all day (issue 25)
// ---------------------------------------------------------------------------------------------

export type TypicalId = "T1" | "T2" | "T3" | "T4" | "T5" | "T6" | "T7" | "T8";

export const TYPICAL: { id: TypicalId; name: string }[] = [
  { id: "T1", name: "POST /clients/sync creating a client with 2 addresses, 2 contact methods, 1 document, 1 linked client" },
  { id: "T2", name: "POST /clients/sync, T1's body with one field changed (the client's name)" },
  { id: "T3", name: "POST /clients/sync, T2's body again (no-op)" },
  { id: "T4", name: "GET /clients/{id}, a T1 client" },
  { id: "T5", name: "GET /clients?limit=20 (a page of 20)" },
  { id: "T6", name: "POST /clients/lookup, 3 identifiers (externalId, e-mail, phone) of a T1 client" },
  { id: "T7", name: "POST /clients/lookup, 100 identifiers (e-mails and phones) of populated clients (issue 21)" },
  { id: "T8", name: "GET /clients/search?name=, a populated client's name with one typo, no accent (issue 21)" },
];

/** T7's body: 100 identifiers of the populated clients from index `from` (bench/lib/populate.ts contact methods). */
export function populatedLookupBody(from: number) {
  return {
    identifiers: Array.from({ length: 100 }, (_, k) =>
      k % 2 === 0 ? { kind: "email", value: `client${from + k}@example.com` } : { kind: "phone", value: `+52 55 ${String(from + k).padStart(8, "0")}` },
    ),
  };
}

/** A phone number unique to `n` (10 digits after +52). */
const phoneOf = (n: number) => `+52 55 ${String(1000 + (Math.floor(n / 10_000) % 9000))} ${String(n % 10_000).padStart(4, "0")}`;

/** T1's body (T2's with `name`): a typical client graph, every item with an externalId. */
export function typicalSyncBody(ext: string, n: number, name = "Cliente típico") {
  return {
    client: { ...typicalClient(ext, n), name },
    addresses: [
      { type: "home", isPrimary: true, street: "Av. Reforma 1", city: "Ciudad de México", state: "CDMX", postalCode: "06600", country: "MX", externalId: `${ext}-a0` },
      { type: "business", isPrimary: false, street: "Insurgentes Sur 2", city: "Ciudad de México", state: "CDMX", postalCode: "03100", country: "MX", externalId: `${ext}-a1` },
    ],
    contactMethods: [
      { type: "email", value: `${ext}@example.com`, isPrimary: true, externalId: `${ext}-c0` },
      { type: "phone", value: phoneOf(n), isPrimary: true, externalId: `${ext}-c1` },
    ],
    documents: [{ type: "ine", category: "identity", expiresAt: "2031-12-31", externalId: `${ext}-d0`, fields: { number: `N${n}` } }],
    linkedClients: [
      {
        child: { type: "individual", name: "Representante", lastName: "Legal", birthDate: "1975-05-05", nationalities: ["MX"], scopes: ["base"], externalId: `${ext}-l0` },
        relationshipType: "legal_representative",
      },
    ],
  };
}

/** T6's body: three identifiers of the client `typicalSyncBody(ext, n)` made. */
export function typicalLookupBody(ext: string, n: number) {
  return {
    identifiers: [
      { kind: "externalId", value: ext },
      { kind: "email", value: `${ext}@example.com` },
      { kind: "phone", value: phoneOf(n) },
    ],
  };
}
