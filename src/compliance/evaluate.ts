// The completeness of a client's expediente (API.md §16): a pure function of its graph, the graphs
// of its linked clients, and the date documents are checked against — no I/O, so the current
// answer and an asOf answer (a replayed graph) are computed alike.
import type { ClientGraph } from "../db/mappers";
import { byCreation } from "../db/mappers";
import type { ClientRow, DocumentRow } from "../db/schema";
import type { ClientType as SchemaClientType, SCOPES } from "../schemas/client";
import { requirementsOf, type ClientType, type Requirement, type Scope } from "./requirements";

// The requirement tables' lists are the schemas' (a scope added there and not here fails the type check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type RequirementListsMatchSchemas = [Assert<Same<Scope, (typeof SCOPES)[number]>>, Assert<Same<ClientType, SchemaClientType>>];
type Assert<T extends true> = T;

export interface Missing {
  pointer: string;
  requirement: string;
  reason: string;
}

export interface ScopeCompleteness {
  scope: string;
  complete: boolean;
  missing: Missing[];
}

export interface Completeness {
  clientId: string;
  complete: boolean;
  scopes: ScopeCompleteness[];
}

/** The scopes a client answers to: those it holds, or `base` when it holds none. */
export function scopesOf(client: Pick<ClientRow, "scopes">): Scope[] {
  return client.scopes.length > 0 ? (client.scopes as Scope[]) : ["base"];
}

/** The value at a JSON Pointer inside the client row's representation (its own keys). */
function valueAt(client: ClientRow, pointer: string): unknown {
  let value: unknown = client;
  for (const part of pointer.split("/").slice(1)) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return value;
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  // Blank as SQL's trim() sees it (the complete column is computed in SQL: compliance/sql.ts).
  if (typeof value === "string") return !/^[ \t\n\r]*$/.test(value);
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Why no document of the categories counts, or null when one does. */
function documentProblem(documents: readonly DocumentRow[], categories: readonly string[], today: string): string | null {
  const ofCategory = documents.filter((d) => d.category !== null && categories.includes(d.category)).sort(byCreation);
  const names = categories.join(" or ");
  if (ofCategory.length === 0) return `No document of category ${names}`;
  const uploaded = ofCategory.filter((d) => d.status === "uploaded");
  if (uploaded.length === 0) return `No document of category ${names} has an uploaded file (${ofCategory.map((d) => `${d.id}: ${d.status}`).join(", ")})`;
  const valid = uploaded.filter((d) => d.expiresAt === null || d.expiresAt >= today);
  if (valid.length === 0) return `Every uploaded document of category ${names} has expired (${uploaded.map((d) => `${d.id}: ${d.expiresAt}`).join(", ")})`;
  return null;
}

/** The declared ownership of a link, or null when it declares none (validated on write: a number in (0, 100]). */
export function ownershipPercentOf(metadata: Record<string, unknown>): number | null {
  const value = metadata.ownershipPercent;
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

interface Context {
  today: string;
  /** The graphs of the client's linked clients, by id (for the beneficiaries' own completeness). */
  linked: ReadonlyMap<string, ClientGraph>;
  /** The scope being evaluated (a beneficiary is checked against it too). */
  scope: Scope;
}

function checkRow(graph: ClientGraph, row: Requirement, context: Context): Missing[] {
  const client = graph.client;
  const missing = (reason: string, pointer = row.pointer): Missing[] => [{ pointer, requirement: row.id, reason }];
  const check = row.check;
  switch (check.kind) {
    case "field":
      return isSet(valueAt(client, row.pointer)) ? [] : missing(`${row.description}: not set`);
    case "address":
      return graph.addresses.length > 0 ? [] : missing("The client has no address");
    case "contact":
      return graph.contactMethods.some((c) => (check.types as readonly string[]).includes(c.type))
        ? []
        : missing(`The client has no contact method of type ${check.types.join(", ")}`);
    case "document": {
      const problem = documentProblem(graph.documents, check.categories, context.today);
      return problem === null ? [] : missing(problem);
    }
    case "link":
      return graph.links.some((l) => l.relationshipType === check.relationshipType)
        ? []
        : missing(`No linked client with relationshipType ${check.relationshipType}`);
    case "beneficiaries":
      return beneficiaryProblems(graph, row, check.thresholdPercent, context);
  }
}

function beneficiaryProblems(graph: ClientGraph, row: Requirement, threshold: number, context: Context): Missing[] {
  const links = [...graph.links].sort(byCreation);
  const found: Missing[] = [];
  const qualifying: { index: number; beneficiary: ClientRow }[] = [];
  const declared = links.flatMap((link, index) => (link.relationshipType === "controlling_beneficiary" ? [{ link, index }] : []));
  for (const { link, index } of declared) {
    const beneficiary = graph.linkedClients.get(link.childClientId);
    if (!beneficiary) continue;
    const percent = ownershipPercentOf(link.metadata);
    if (beneficiary.type !== "individual") {
      found.push({
        pointer: `/linkedClients/${index}/client/type`,
        requirement: row.id,
        reason: `A beneficiario controlador is a natural person; linked client ${beneficiary.id} is a ${beneficiary.type}`,
      });
    } else if (percent !== null && percent >= threshold) {
      qualifying.push({ index, beneficiary });
    }
  }
  if (qualifying.length === 0) {
    const reason =
      declared.length === 0
        ? "No linked controlling_beneficiary"
        : `No linked controlling_beneficiary individual declares metadata.ownershipPercent of at least ${threshold}`;
    found.push({ pointer: row.pointer, requirement: row.id, reason });
    return found;
  }
  // Each beneficiary is complete for the scope being evaluated (as the individual it is).
  for (const { index, beneficiary } of qualifying) {
    const theirs = context.linked.get(beneficiary.id);
    if (!theirs) {
      found.push({ pointer: `/linkedClients/${index}`, requirement: row.id, reason: `Beneficiario controlador ${beneficiary.id} could not be read` });
      continue;
    }
    for (const m of scopeMissing(theirs, "individual", context)) {
      found.push({
        pointer: `/linkedClients/${index}/client${m.pointer}`,
        requirement: row.id,
        reason: `Beneficiario controlador ${beneficiary.id}: ${m.reason} (${m.requirement})`,
      });
    }
  }
  return found;
}

function scopeMissing(graph: ClientGraph, type: ClientType, context: Context): Missing[] {
  return requirementsOf(context.scope, type).flatMap((row) => {
    const applies = !row.onlyMexicanNationals || graph.client.nationalities.includes("MX");
    return applies ? checkRow(graph, row, context) : [];
  });
}

/**
 * The completeness of `graph`'s client for each scope it answers to. `linked` holds the graphs of
 * the clients it links to (at least its controlling beneficiaries); `today` is the date documents
 * must not have expired by (YYYY-MM-DD).
 */
export function evaluateCompleteness(graph: ClientGraph, linked: ReadonlyMap<string, ClientGraph>, today: string): Completeness {
  const scopes = scopesOf(graph.client).map((scope) => {
    const missing = scopeMissing(graph, graph.client.type as ClientType, { today, linked, scope });
    return { scope, complete: missing.length === 0, missing };
  });
  return { clientId: graph.client.id, complete: scopes.every((s) => s.complete), scopes };
}
