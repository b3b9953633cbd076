// Row → API object mappers. Key order follows API.md §4 exactly; absent optional values are null.
import type {
  AddressRow,
  BankAccountRow,
  ClientLinkRow,
  ClientRow,
  ContactMethodRow,
  DocumentRow,
} from "./schema";
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

/** The client's own keys, `id` through `updatedAt` (also the `client` of a link). */
export function clientFields(row: ClientRow, contacts: readonly ContactMethodRow[], today: Date) {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    middleName: row.middleName,
    lastName: row.lastName,
    isPrimary: row.isPrimary,
    nationalities: row.nationalities,
    scopes: row.scopes,
    externalId: row.externalId,
    metadata: row.metadata,
    birthDate: row.birthDate,
    age: ageOn(row.birthDate, today),
    scopeData: row.scopeData,
    employment: employmentOut(row.employment),
    email: derivedValue(contacts, ["email"]),
    phone: derivedValue(contacts, ["phone", "mobile"]),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function addressOut(row: AddressRow) {
  return {
    id: row.id,
    clientId: row.clientId,
    type: row.type,
    isPrimary: row.isPrimary,
    street: row.street,
    city: row.city,
    state: row.state,
    postalCode: row.postalCode,
    country: row.country,
    externalId: row.externalId,
    metadata: row.metadata,
    scopeData: row.scopeData,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function contactMethodOut(row: ContactMethodRow) {
  return {
    id: row.id,
    clientId: row.clientId,
    type: row.type,
    value: row.value,
    isPrimary: row.isPrimary,
    label: row.label,
    externalId: row.externalId,
    metadata: row.metadata,
    isVerified: row.isVerified,
    verifiedAt: row.verifiedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function bankAccountOut(row: BankAccountRow) {
  return {
    id: row.id,
    clientId: row.clientId,
    accountNumber: row.accountNumber,
    bankName: row.bankName,
    bankCode: row.bankCode,
    country: row.country,
    currency: row.currency,
    type: row.type,
    isPrimary: row.isPrimary,
    isActive: row.isActive,
    label: row.label,
    externalId: row.externalId,
    metadata: row.metadata,
    clabe: row.clabe,
    codigoBanco: row.codigoBanco,
    codigoPlaza: row.codigoPlaza,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function documentOut(row: DocumentRow) {
  return {
    id: row.id,
    clientId: row.clientId,
    type: row.type,
    category: row.category,
    expiresAt: row.expiresAt,
    externalId: row.externalId,
    metadata: row.metadata,
    fields: row.fields,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    status: row.status,
    verifiedAt: row.verifiedAt,
    verifiedBy: row.verifiedBy,
    rejectionReason: row.rejectionReason,
    reviewedAt: row.reviewedAt,
    reviewedBy: row.reviewedBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function linkOut(
  link: ClientLinkRow,
  linked: ClientRow,
  linkedContacts: readonly ContactMethodRow[],
  today: Date,
) {
  return {
    id: link.id,
    relationshipType: link.relationshipType,
    client: clientFields(
      linked,
      linkedContacts.filter((c) => c.clientId === linked.id),
      today,
    ),
    metadata: link.metadata,
    createdAt: link.createdAt,
    updatedAt: link.updatedAt,
  };
}

export function fullClient(graph: ClientGraph, today: Date) {
  const links = [...graph.links].sort(byCreation).flatMap((link) => {
    const linked = graph.linkedClients.get(link.childClientId);
    return linked ? [linkOut(link, linked, graph.linkedContacts, today)] : [];
  });
  return {
    ...clientFields(graph.client, graph.contactMethods, today),
    addresses: [...graph.addresses].sort(byCreation).map(addressOut),
    contactMethods: [...graph.contactMethods].sort(byCreation).map(contactMethodOut),
    bankAccounts: [...graph.bankAccounts].sort(byCreation).map(bankAccountOut),
    documents: [...graph.documents].sort(byCreation).map(documentOut),
    linkedClients: links,
    riskAssessments: {},
    tags: [],
  };
}

export type FullClient = ReturnType<typeof fullClient>;
export type LinkOut = ReturnType<typeof linkOut>;

/**
 * The client's ETag: a hash of exactly the representation a GET answers (all of its graph, linked
 * clients included, and `age`), so that a strong ETag never stands for two different bodies — the
 * body changes on a birthday, and so does the ETag.
 */
export async function etagOf(client: FullClient): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(client)));
  const hex = Array.from(new Uint8Array(digest).subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `"${hex}"`;
}
