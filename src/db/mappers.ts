// Row → API object mappers. Each renders the keys its entity declares (src/entities.ts), in that
// order (API.md §4); absent optional values are null.
import type {
  AddressRow,
  BankAccountRow,
  ClientLinkRow,
  ClientRow,
  ContactMethodRow,
  DocumentRow,
} from "./schema";
import {
  ADDRESS,
  ADDRESS_KEYS,
  BANK_ACCOUNT,
  BANK_ACCOUNT_KEYS,
  CLIENT,
  CLIENT_KEYS,
  CONTACT_METHOD,
  CONTACT_METHOD_KEYS,
  DOCUMENT,
  DOCUMENT_KEYS,
  FULL_CLIENT_KEYS,
  LINK,
  LINK_KEYS,
  type StoredKey,
} from "../entities";
import { sha256Hex } from "../encoding";
import { EMPLOYMENT_KEYS } from "../schemas/client";

/** A client with everything its full representation needs (API.md §4.1). */
export interface ClientGraph {
  client: ClientRow;
  addresses: AddressRow[];
  contactMethods: ContactMethodRow[];
  bankAccounts: BankAccountRow[];
  documents: DocumentRow[];
  links: ClientLinkRow[];
  /** The clients `links` point to, by id. */
  linkedClients: Map<string, ClientRow>;
  /** Email/phone/mobile contact methods of the linked clients (for their derived email and phone). */
  linkedContacts: ContactMethodRow[];
}

/** Lists are ordered by createdAt, then id. */
export function byCreation<T extends { createdAt: string; id: string }>(a: T, b: T): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whole years from `birthDate` to `today` (UTC). */
export function ageOn(birthDate: string | null, today: Date): number | null {
  if (!birthDate) return null;
  const [y, m, d] = birthDate.split("-").map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - y;
  const month = today.getUTCMonth() + 1;
  if (month < m || (month === m && today.getUTCDate() < d)) age--;
  return age;
}

function derivedValue(contacts: readonly ContactMethodRow[], types: readonly string[]): string | null {
  for (const type of types) {
    const ofType = contacts.filter((c) => c.type === type).sort(byCreation);
    const chosen = ofType.find((c) => c.isPrimary) ?? ofType[0];
    if (chosen) return chosen.value;
  }
  return null;
}


export function employmentOut(employment: Record<string, unknown> | null) {
  if (!employment) return null;
  return Object.fromEntries(EMPLOYMENT_KEYS.map((k) => [k, employment[k] ?? null]));
}

/**
 * The output object of an entity: its keys in their declared order, each taken from `computed` when
 * given there, else from the row. (Key order is the API's: bodies and ETags depend on it.)
 */
function render<Row, Computed, K extends keyof Row | keyof Computed>(keys: readonly K[], row: Row, computed: Computed) {
  const out = {} as Record<K, unknown>;
  for (const key of keys) out[key] = Object.hasOwn(computed as object, key) ? computed[key as keyof Computed] : row[key as keyof Row];
  return out as { [P in K]: P extends keyof Computed ? Computed[P] : P extends keyof Row ? Row[P] : never };
}

/** The client's own keys, `id` through `updatedAt` (also the `client` of a link). */
export function clientFields(row: ClientRow, contacts: readonly ContactMethodRow[], today: Date) {
  return render(CLIENT_KEYS, row, {
    age: ageOn(row.birthDate, today),
    employment: employmentOut(row.employment),
    email: derivedValue(contacts, ["email"]),
    phone: derivedValue(contacts, ["phone", "mobile"]),
  });
}

export const addressOut = (row: AddressRow) => render(ADDRESS_KEYS, row, {});
export const contactMethodOut = (row: ContactMethodRow) => render(CONTACT_METHOD_KEYS, row, {});
export const bankAccountOut = (row: BankAccountRow) => render(BANK_ACCOUNT_KEYS, row, {});
export const documentOut = (row: DocumentRow) => render(DOCUMENT_KEYS, row, {});

export function linkOut(
  link: ClientLinkRow,
  linked: ClientRow,
  linkedContacts: readonly ContactMethodRow[],
  today: Date,
) {
  const contacts = linkedContacts.filter((c) => c.clientId === linked.id);
  return render(LINK_KEYS, link, { client: clientFields(linked, contacts, today) });
}

export function fullClient(graph: ClientGraph, today: Date) {
  const links = [...graph.links].sort(byCreation).flatMap((link) => {
    const linked = graph.linkedClients.get(link.childClientId);
    return linked ? [linkOut(link, linked, graph.linkedContacts, today)] : [];
  });
  return render(FULL_CLIENT_KEYS, clientFields(graph.client, graph.contactMethods, today), {
    addresses: [...graph.addresses].sort(byCreation).map(addressOut),
    contactMethods: [...graph.contactMethods].sort(byCreation).map(contactMethodOut),
    bankAccounts: [...graph.bankAccounts].sort(byCreation).map(bankAccountOut),
    documents: [...graph.documents].sort(byCreation).map(documentOut),
    linkedClients: links,
    riskAssessments: {},
    tags: [] as never[],
  });
}

export type FullClient = ReturnType<typeof fullClient>;
export type LinkOut = ReturnType<typeof linkOut>;

/**
 * The client's ETag: a hash of exactly the representation a GET answers (all of its graph, linked
 * clients included, and `age`), so that a strong ETag never stands for two different bodies — the
 * body changes on a birthday, and so does the ETag.
 */
export function etagOf(client: FullClient): Promise<string> {
  return etagOfJson(JSON.stringify(client));
}

/** `etagOf` of the client whose JSON.stringify is `clientJson` (an answer that has it already). */
export async function etagOfJson(clientJson: string): Promise<string> {
  // The first 128 bits of the SHA-256: plenty to tell two representations apart.
  return `"${(await sha256Hex(clientJson)).slice(0, 32)}"`;
}

// -------------------------------------------------------------------------------------------------
// Compile-time check: each table's columns are its entity's stored keys (src/entities.ts) plus the
// columns no answer shows, so that a column added to one and not the other fails the type check.
// -------------------------------------------------------------------------------------------------
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type EntitiesMatchTables = [
  Assert<Same<keyof ClientRow, StoredKey<typeof CLIENT> | "tenantId" | "version" | "complete" | "completeUntil">>,
  Assert<Same<keyof AddressRow, StoredKey<typeof ADDRESS> | "tenantId">>,
  Assert<Same<keyof ContactMethodRow, StoredKey<typeof CONTACT_METHOD> | "tenantId">>,
  Assert<Same<keyof BankAccountRow, StoredKey<typeof BANK_ACCOUNT> | "tenantId">>,
  Assert<Same<keyof DocumentRow, StoredKey<typeof DOCUMENT> | "tenantId" | "fileKey">>,
  Assert<Same<keyof ClientLinkRow, StoredKey<typeof LINK> | "tenantId" | "parentClientId" | "childClientId">>,
];
