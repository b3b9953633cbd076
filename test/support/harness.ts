// The test harness: calls the real app (createApp) in the Workers runtime with every D1 binding
// wrapped in the D1 guard, and gives direct access to both databases for seeding and checking.
//
// Storage is isolated per test FILE, not per test: every test makes its own tenant (`newTenant`)
// and ids, and never assumes an empty table.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { and, count as countFn, eq, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { createApp } from "../../src/app";
import { openDb, type Db } from "../../src/db/database";
import { withRoundTripDelay } from "../../src/db/round-trip-delay";
import {
  addresses,
  apiKeys,
  bankAccounts,
  clientLinks,
  clients,
  contactMethods,
  documents,
  type AddressRow,
  type BankAccountRow,
  type ClientLinkRow,
  type ClientRow,
  type ContactMethodRow,
  type DocumentRow,
} from "../../src/db/schema";
import { ADDRESS, BANK_ACCOUNT, CLIENT, CONTACT_METHOD, DOCUMENT, LINK, storedKeys, type Entity } from "../../src/entities";
import { shardBinding, type Env, type Environment } from "../../src/env";
import { displayPrefix, generateKey, hashKey, PERMISSIONS, type Permission } from "../../src/http/keys";
import { newId } from "../../src/ids";
import { createD1Guard, emptyRecord, type D1Guard, type RequestRecord } from "./d1-guard";
import { fileShard } from "./shards";

export type { Environment };

export interface RequestOptions {
  /** X-Environment header; `null` leaves it out, any other string is sent as is. Default "test". */
  env?: Environment | string | null;
  /** API key sent as `Authorization: Bearer <key>`; absent = no Authorization header. */
  key?: string;
  /** A plain value is sent as JSON; a string, bytes or a stream are sent as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not throw when the guard records a violation (to test the guard itself). */
  allowViolations?: boolean;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text (null when empty). */
  body: T;
  text: string;
  /** What the request did to D1 (an empty record when it never opened a database). */
  stats: RequestRecord;
}

export interface LoggedError {
  message: string;
  details: Record<string, unknown>;
}

type BodyInit_ = string | ArrayBuffer | ArrayBufferView | ReadableStream;

function isRawBody(body: unknown): body is BodyInit_ {
  return typeof body === "string" || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof ReadableStream;
}

const now = () => new Date().toISOString();
let tenantCounter = 0;

export interface HarnessOptions {
  /** Every D1 round trip of the app waits this long first (src/db/round-trip-delay.ts), under the guard. */
  roundTripDelayMs?: number;
  /** What the app's D1 binding is replaced by, under the guard (e.g. test/support/batch-hook.ts interceptBatches). */
  wrapBinding?: (binding: D1Database) => D1Database;
  /** The shard of both environments this harness's tenants live on (default: the test file's, test/support/shards.ts). */
  shard?: number;
}

export function createHarness(options: HarnessOptions = {}) {
  const guard: D1Guard = createD1Guard();
  const logs: LoggedError[] = [];
  const delay = options.roundTripDelayMs ?? 0;
  const wrapBinding = options.wrapBinding ?? ((binding: D1Database) => binding);
  const app = createApp({
    wrapDatabase: (binding, request) => guard.wrap(wrapBinding(delay > 0 ? withRoundTripDelay(binding, delay) : binding), request),
    logError: (message, details) => logs.push({ message, details }),
  });
  const env = workerEnv as unknown as Env;
  let last: RequestRecord = emptyRecord();

  const shard = options.shard ?? fileShard();
  /** The real (unguarded) database of this harness's shard of an environment. */
  const binding = (environment: Environment): D1Database => env[shardBinding(environment, shard)]!;
  const dbs = new Map<Environment, Db>();
  /** Drizzle on the real (unguarded) database of an environment. */
  const db = (environment: Environment): Db => {
    let d = dbs.get(environment);
    if (!d) dbs.set(environment, (d = openDb(binding(environment))));
    return d;
  };

  async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers = new Headers(options.headers);
    const environment = options.env === undefined ? "test" : options.env;
    if (environment !== null && !headers.has("x-environment")) headers.set("x-environment", environment);
    if (options.key !== undefined && !headers.has("authorization")) headers.set("authorization", `Bearer ${options.key}`);
    let body: BodyInit_ | undefined;
    if (options.body !== undefined) {
      if (isRawBody(options.body)) body = options.body;
      else {
        body = JSON.stringify(options.body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
    }
    const ctx = createExecutionContext();
    const sent = new Request(`http://localhost${path}`, { method, headers, body });
    const response = await app.fetch(sent, env, ctx);
    const text = await response.text();
    await waitOnExecutionContext(ctx);
    // This request's own records, also when other requests run at the same time.
    const opened = guard.recordsOf(sent);
    last = opened.length === 0 ? emptyRecord(`${method} ${path}`) : opened.length === 1 ? opened[0]! : merge(opened);
    if (!options.allowViolations && last.violations.length > 0) {
      throw new Error(
        `${method} ${path} broke a D1 limit (answered ${response.status}):\n` +
          last.violations.map((v) => `  ${v.message}\n    in: ${v.sql.slice(0, 300)}`).join("\n"),
      );
    }
    let parsed: unknown = text === "" ? null : text;
    if (/json/.test(response.headers.get("content-type") ?? "") && text !== "") parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text, stats: last };
  }

  /** Creates an API key straight in the environment's database; returns the plaintext key. */
  async function createKey(options: {
    env?: Environment;
    tenantId: string;
    permissions?: readonly Permission[];
    name?: string;
    revoked?: boolean;
  }): Promise<string> {
    const environment = options.env ?? "test";
    const key = generateKey(environment, shard);
    await db(environment)
      .insert(apiKeys)
      .values({
        id: newId(),
        tenantId: options.tenantId,
        name: options.name ?? null,
        prefix: displayPrefix(key),
        keyHash: await hashKey(key),
        permissions: [...(options.permissions ?? PERMISSIONS)],
        createdAt: now(),
        revokedAt: options.revoked ? now() : null,
      });
    return key;
  }

  async function revokeKey(environment: Environment, key: string): Promise<void> {
    await db(environment)
      .update(apiKeys)
      .set({ revokedAt: now() })
      .where(eq(apiKeys.keyHash, await hashKey(key)));
  }

  /** A fresh tenant id (1–64 chars of [a-z0-9_-]). */
  function newTenant(): string {
    return `t${(++tenantCounter).toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  }

  /** A fresh tenant with a key holding every permission, in one environment. */
  async function newTenantWithKey(environment: Environment = "test") {
    const tenantId = newTenant();
    return { tenantId, key: await createKey({ env: environment, tenantId }) };
  }

  // ---------------------------------------------------------------------------------------------
  // Seeding: rows written straight into D1 (not through the API).
  // ---------------------------------------------------------------------------------------------

  async function insert<Row>(environment: Environment, table: SQLiteTable, row: Row): Promise<Row> {
    await db(environment).insert(table).values(row as never);
    return row;
  }
  const seedClient = (environment: Environment, tenantId: string, row: Partial<ClientRow> = {}) =>
    insert(environment, clients, clientRow(tenantId, row));
  const seedAddress = (environment: Environment, client: ClientRow, row: Partial<AddressRow> = {}) =>
    insert(environment, addresses, addressRow(client, row));
  const seedContactMethod = (environment: Environment, client: ClientRow, row: Partial<ContactMethodRow> = {}) =>
    insert(environment, contactMethods, contactMethodRow(client, row));
  const seedBankAccount = (environment: Environment, client: ClientRow, row: Partial<BankAccountRow> = {}) =>
    insert(environment, bankAccounts, bankAccountRow(client, row));
  const seedDocument = (environment: Environment, client: ClientRow, row: Partial<DocumentRow> = {}) =>
    insert(environment, documents, documentRow(client, row));
  const seedLink = (environment: Environment, parent: ClientRow, child: ClientRow, row: Partial<ClientLinkRow> = {}) =>
    insert(environment, clientLinks, linkRow(parent, child, row));

  // ---------------------------------------------------------------------------------------------
  // Checking the databases
  // ---------------------------------------------------------------------------------------------

  /** Rows of a table, optionally only one tenant's. */
  async function count(environment: Environment, table: SQLiteTable, tenantId?: string): Promise<number> {
    const tenantColumn = (table as unknown as { tenantId?: SQLiteColumn }).tenantId;
    if (tenantId !== undefined && !tenantColumn) throw new Error("this table has no tenantId column");
    const query = db(environment).select({ n: countFn() }).from(table);
    const [row] = await (tenantId !== undefined ? query.where(eq(tenantColumn!, tenantId)) : query);
    return row?.n ?? 0;
  }

  /** Rows of a table matching every (camelCase column → value) pair of `where`. */
  async function rows<T extends SQLiteTable>(
    environment: Environment,
    table: T,
    where: Partial<T["$inferSelect"]> = {},
  ): Promise<T["$inferSelect"][]> {
    const columns = table as unknown as Record<string, SQLiteColumn>;
    const conditions: SQL[] = Object.entries(where).map(([key, value]) => {
      const column = columns[key];
      if (!column) throw new Error(`no column ${key}`);
      return eq(column, value);
    });
    const query = db(environment).select().from(table);
    return (await (conditions.length > 0 ? query.where(and(...conditions)) : query)) as T["$inferSelect"][];
  }

  return {
    guard,
    /** Errors the app logged (its `logError`). */
    logs,
    env,
    shard,
    binding,
    db,
    request,
    get: <T = any>(path: string, options?: RequestOptions) => request<T>("GET", path, options),
    post: <T = any>(path: string, body: unknown, options?: RequestOptions) => request<T>("POST", path, { ...options, body }),
    delete: <T = any>(path: string, options?: RequestOptions) => request<T>("DELETE", path, options),
    /** The guard's record of the last request made through `request`. */
    lastStats: (): RequestRecord => last,
    createKey,
    revokeKey,
    newTenant,
    newTenantWithKey,
    seedClient,
    seedAddress,
    seedContactMethod,
    seedBankAccount,
    seedDocument,
    seedLink,
    count,
    rows,
  };
}

export type Harness = ReturnType<typeof createHarness>;

// ---------------------------------------------------------------------------------------------
// Row builders (what the seed helpers insert; test/d1-guard.test.ts inserts them itself)
// ---------------------------------------------------------------------------------------------

/**
 * A row built from its entity's declaration (src/entities.ts): null in every stored key, then a
 * new id and createdAt = updatedAt = now (or the test's createdAt), then `values` (the builder's
 * non-null defaults), then the test's own `row`.
 */
function rowOf<Row>(entity: Entity, values: Partial<Row>, row: Partial<Row>): Row {
  const at = (row as { createdAt?: string }).createdAt ?? now();
  return {
    ...Object.fromEntries(storedKeys(entity).map((key) => [key, null])),
    id: newId(),
    createdAt: at,
    updatedAt: at,
    ...values,
    ...row,
  } as Row;
}

/** The columns every child row (address, contact method, bank account, document) fills alike. */
const childOf = (client: Pick<ClientRow, "id" | "tenantId">) => ({ tenantId: client.tenantId, clientId: client.id, metadata: {} });

export const clientRow = (tenantId: string, row: Partial<ClientRow> = {}) =>
  rowOf<ClientRow>(
    CLIENT,
    { tenantId, type: "individual", name: "Ada", isPrimary: true, nationalities: [], scopes: [], metadata: {}, scopeData: {}, version: 1 },
    row,
  );

export const addressRow = (client: Pick<ClientRow, "id" | "tenantId">, row: Partial<AddressRow> = {}) =>
  rowOf<AddressRow>(
    ADDRESS,
    { ...childOf(client), type: "home", isPrimary: false, street: "Av. Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", scopeData: {} },
    row,
  );

export const contactMethodRow = (client: Pick<ClientRow, "id" | "tenantId">, row: Partial<ContactMethodRow> = {}) =>
  rowOf<ContactMethodRow>(CONTACT_METHOD, { ...childOf(client), type: "email", value: "ada@example.com", isPrimary: false, isVerified: false }, row);

export const bankAccountRow = (client: Pick<ClientRow, "id" | "tenantId">, row: Partial<BankAccountRow> = {}) =>
  rowOf<BankAccountRow>(
    BANK_ACCOUNT,
    { ...childOf(client), accountNumber: "1234567890", bankName: "Banco", country: "MX", currency: "MXN", type: "checking", isPrimary: false, isActive: true },
    row,
  );

export const documentRow = (client: Pick<ClientRow, "id" | "tenantId">, row: Partial<DocumentRow> = {}) =>
  rowOf<DocumentRow>(DOCUMENT, { ...childOf(client), type: "passport", category: "identity", fields: {}, status: "pending_upload" }, row);

export const linkRow = (parent: Pick<ClientRow, "id" | "tenantId">, child: Pick<ClientRow, "id">, row: Partial<ClientLinkRow> = {}) =>
  rowOf<ClientLinkRow>(LINK, { tenantId: parent.tenantId, parentClientId: parent.id, childClientId: child.id, metadata: {} }, row);

function merge(records: RequestRecord[]): RequestRecord {
  const merged = emptyRecord(records.map((r) => r.label).join(" + "));
  for (const r of records) {
    merged.statements.push(...r.statements);
    merged.roundTrips += r.roundTrips;
    merged.statementCount += r.statementCount;
    merged.rowsRead += r.rowsRead;
    merged.rowsWritten += r.rowsWritten;
    merged.unmeteredStatements += r.unmeteredStatements;
    merged.batchSizes.push(...r.batchSizes);
    merged.sessions.push(...r.sessions);
    merged.roundTripMs.push(...r.roundTripMs);
    merged.violations.push(...r.violations);
  }
  return merged;
}
