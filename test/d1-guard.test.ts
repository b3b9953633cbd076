// The D1 guard itself: every production limit triggers, ordinary statements pass, the stats it
// records are exact, and fault injection aborts a whole batch.
import { env } from "cloudflare:workers";
import { eq, inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { addresses, clients, writeGuards } from "../src/db/schema";
import { newId } from "../src/ids";
import { createD1Guard, D1_LIMITS, FAILING_SQL, functionCalls, insertRowBytes } from "./support/d1-guard";

const tenant = () => `guard-${crypto.randomUUID().slice(0, 8)}`;
const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
const numbers = (n: number) => Array.from({ length: n }, (_, i) => i);

function guarded(label = "test") {
  const guard = createD1Guard();
  const binding = guard.wrap(env.DB_TEST_0, label);
  return { guard, binding, db: drizzle(binding), record: guard.last! };
}

function clientRow(tenantId: string, overrides: Partial<typeof clients.$inferInsert> = {}) {
  const at = new Date().toISOString();
  return {
    id: newId(),
    tenantId,
    type: "individual",
    name: "Ada",
    isPrimary: true,
    nationalities: [],
    scopes: [],
    metadata: {},
    scopeData: {},
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  } satisfies typeof clients.$inferInsert;
}

function addressRow(client: { id: string; tenantId: string }) {
  const at = new Date().toISOString();
  return {
    id: newId(),
    tenantId: client.tenantId,
    clientId: client.id,
    type: "home",
    isPrimary: false,
    street: "Reforma 1",
    city: "CDMX",
    state: "CDMX",
    postalCode: "06600",
    metadata: {},
    scopeData: {},
    createdAt: at,
    updatedAt: at,
  } satisfies typeof addresses.$inferInsert;
}

describe("limits", () => {
  it("rejects an INSERT row whose values together pass 2 MB, each value under it; accepts rows just under", async () => {
    const { binding, record } = guarded();
    await binding.prepare("CREATE TABLE IF NOT EXISTS guard_rows (a TEXT, b TEXT)").run();
    const big = "x".repeat(1_000_001);
    const fits = "x".repeat(999_999);
    // Two rows of one statement: the first fits (exactly 2,000,000 bytes), the second does not.
    expect(insertRowBytes('insert into "guard_rows" ("a", "b") values (?, ?), (?, ?)', [fits, big, big, big])).toEqual([2_000_000, 2_000_002]);
    await expect(binding.prepare('insert into "guard_rows" ("a", "b") values (?, ?), (?, ?)').bind(fits, big, big, big).run()).rejects.toThrow(
      /^D1 guard: row 2 of an INSERT binds 2000002 bytes/,
    );
    expect(record.violations.map((v) => v.limit)).toEqual(["maxRowBytes"]);
    await binding.prepare('insert into "guard_rows" ("a", "b") values (?, ?)').bind(fits, big).run();
    // A json_each INSERT is one value, covered by the value limit.
    expect(insertRowBytes("INSERT INTO guard_rows (a, b) SELECT value, value FROM json_each(?)", ["[]"])).toBeNull();
  });

  it("rejects more than 100 bound parameters, and accepts 100", async () => {
    const { binding, guard, record } = guarded();
    const ok = await binding.prepare(`SELECT ${placeholders(100)}`).bind(...numbers(100)).raw();
    expect(ok[0]).toHaveLength(100);
    await expect(binding.prepare(`SELECT ${placeholders(101)}`).bind(...numbers(101)).all()).rejects.toThrow(
      /^D1 guard: 101 bound parameters/,
    );
    expect(record.violations.map((v) => v.limit)).toEqual(["maxParams"]);
    expect(guard.violations).toHaveLength(1);
  });

  it("rejects a statement over 100,000 bytes of SQL, counted in UTF-8 bytes", async () => {
    const { binding, record } = guarded();
    const fits = `SELECT '${"x".repeat(D1_LIMITS.maxSqlBytes - 20)}' AS s`;
    await expect(binding.prepare(fits).first("s")).resolves.toHaveLength(D1_LIMITS.maxSqlBytes - 20);
    // 50,000 two-byte characters: 50,000 characters but over 100,000 bytes.
    const tooLong = `SELECT '${"é".repeat(50_000)}' AS s`;
    await expect(binding.prepare(tooLong).all()).rejects.toThrow(/^D1 guard: statement of 100014 bytes of SQL/);
    expect(record.violations.map((v) => v.limit)).toEqual(["maxSqlBytes"]);
  });

  it("rejects a SQL function call with more than 32 arguments, which local D1 accepts", async () => {
    const pairs = (n: number) => Array.from({ length: n }, (_, i) => `'k${i}', ${i}`).join(", ");
    // Local D1 (workerd) allows 127 arguments: the unguarded binding runs 34 happily.
    const local = await env.DB_TEST_0.prepare(`SELECT json_object(${pairs(17)}) AS j`).first<string>("j");
    expect(Object.keys(JSON.parse(local!))).toHaveLength(17);

    const { binding, record } = guarded();
    await expect(binding.prepare(`SELECT json_object(${pairs(16)}) AS j`).first("j")).resolves.toBeTypeOf("string");
    const args33 = Array.from({ length: 33 }, (_, i) => String(i)).join(", ");
    await expect(binding.prepare(`SELECT json_object(${args33}) AS j`).all()).rejects.toThrow(
      /^D1 guard: json_object\(\) called with 33 arguments/,
    );
    await expect(binding.prepare(`SELECT json_object(${pairs(17)}) AS j`).all()).rejects.toThrow(/with 34 arguments/);
    // Nested inside other calls and parentheses, still found.
    await expect(
      binding.prepare(`SELECT coalesce((json_array(${args33})), 1) AS j`).all(),
    ).rejects.toThrow(/json_array\(\) called with 33 arguments/);
    expect(record.violations.map((v) => v.limit)).toEqual(["maxFunctionArgs", "maxFunctionArgs", "maxFunctionArgs"]);
  });

  it("rejects a bound value over 2,000,000 bytes, which local D1 accepts up to 4 MiB", async () => {
    const local = await env.DB_TEST_0.prepare("SELECT length(?) AS n").bind("x".repeat(3_000_000)).first("n");
    expect(local).toBe(3_000_000);

    const { binding, record } = guarded();
    await expect(binding.prepare("SELECT length(?) AS n").bind("x".repeat(2_000_000)).first("n")).resolves.toBe(2_000_000);
    await expect(binding.prepare("SELECT length(?) AS n").bind("x".repeat(2_000_001)).first()).rejects.toThrow(
      /^D1 guard: bound parameter 1 is 2000001 bytes/,
    );
    // Bytes, not characters: 1,000,001 two-byte characters.
    await expect(binding.prepare("SELECT ?, length(?)").bind(1, "é".repeat(1_000_001)).run()).rejects.toThrow(
      /bound parameter 2 is 2000002 bytes/,
    );
    await expect(binding.prepare("SELECT length(?)").bind(new Uint8Array(2_000_001)).run()).rejects.toThrow(
      /bound parameter 1 is 2000001 bytes/,
    );
    expect(record.violations).toHaveLength(3);
  });

  it("rejects the 51st statement of one request, singly or in a batch", async () => {
    const { binding, record } = guarded("fifty");
    for (let i = 0; i < 50; i++) await binding.prepare("SELECT ?").bind(i).run();
    expect(record.violations).toEqual([]);
    await expect(binding.prepare("SELECT 51").run()).rejects.toThrow(/^D1 guard: 51 D1 statements in one request/);
    expect(record.statementCount).toBe(51);
    expect(record.violations.map((v) => v.limit)).toEqual(["maxStatementsPerRequest"]);

    // A batch of 51 is refused before it is sent: nothing of it is written.
    const { binding: fresh, record: freshRecord } = guarded("batch of 51");
    const tenantId = tenant();
    const rows = numbers(51).map(() => clientRow(tenantId));
    const insert = fresh.prepare("INSERT INTO clients (id, tenant_id, type, name, is_primary, nationalities, scopes, metadata, scope_data, version, created_at, updated_at) VALUES (?, ?, 'individual', 'A', 1, '[]', '[]', '{}', '{}', 1, ?, ?)");
    await expect(fresh.batch(rows.map((r) => insert.bind(r.id, r.tenantId, r.createdAt, r.updatedAt)))).rejects.toThrow(
      /^D1 guard: 51 D1 statements/,
    );
    expect(freshRecord.violations).toHaveLength(1);
    const { n } = (await env.DB_TEST_0.prepare("SELECT count(*) AS n FROM clients WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())!;
    expect(n).toBe(0);
  });

  it("opens a new record, with its own statement budget, for every wrap", async () => {
    const guard = createD1Guard();
    for (let request = 0; request < 3; request++) {
      const binding = guard.wrap(env.DB_TEST_0, `request ${request}`);
      await binding.batch(numbers(30).map((i) => binding.prepare("SELECT ?").bind(i)));
    }
    expect(guard.records.map((r) => [r.label, r.statementCount, r.roundTrips])).toEqual([
      ["request 0", 30, 1],
      ["request 1", 30, 1],
      ["request 2", 30, 1],
    ]);
    expect(guard.violations).toEqual([]);
  });

  it("refuses a batch of statements it did not prepare", async () => {
    const { binding } = guarded();
    await expect(binding.batch([env.DB_TEST_0.prepare("SELECT 1")])).rejects.toThrow(/^D1 guard: batch statement 0 was not prepared/);
  });
});

describe("ordinary statements pass", () => {
  it("drizzle INSERT with a column list, IN (…), VALUES, json_each, ON CONFLICT", async () => {
    const { db, binding, record } = guarded();
    const tenantId = tenant();
    const rows = numbers(5).map(() => clientRow(tenantId));
    await db.insert(clients).values(rows); // 5 rows × 12 params = 60, 17 columns listed
    const ids = rows.map((r) => r.id);
    expect(await db.select({ id: clients.id }).from(clients).where(inArray(clients.id, ids))).toHaveLength(5);
    await db.run(sql`UPDATE clients SET name = 'B' WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
    await binding.prepare(`SELECT * FROM (VALUES (${numbers(40).join(", ")}))`).all();
    await binding.prepare(`SELECT 1 WHERE 3 IN (${numbers(60).join(", ")})`).all();
    await db
      .insert(clients)
      .values(rows[0]!)
      .onConflictDoUpdate({ target: clients.id, set: { name: sql`excluded.name` } });
    expect(record.violations).toEqual([]);
    expect(record.statementCount).toBe(6);
  });

  it("parses calls: keywords, table names and quoted identifiers before ( are not calls; strings and comments are ignored", () => {
    const columns = numbers(40).map((i) => `c${i}`);
    expect(functionCalls(`INSERT INTO t (${columns.join(", ")}) VALUES (${placeholders(40)})`)).toEqual([]);
    expect(functionCalls(`INSERT OR REPLACE INTO main.t (${columns.join(", ")}) SELECT ${columns.join(", ")} FROM u`)).toEqual([]);
    expect(functionCalls(`UPDATE t SET (${columns.join(", ")}) = (${placeholders(40)})`)).toEqual([]);
    expect(functionCalls(`CREATE TABLE IF NOT EXISTS t (${columns.join(" TEXT, ")} TEXT, PRIMARY KEY (c0, c1))`)).toEqual([]);
    expect(functionCalls(`CREATE INDEX i ON t (${columns.join(", ")})`)).toEqual([]);
    expect(functionCalls(`SELECT * FROM "t" ("a") WHERE x IN (${placeholders(40)}) AND EXISTS (SELECT 1)`)).toEqual([]);
    expect(functionCalls(`SELECT count(*), max(a, b), f() FROM t`)).toEqual([
      { name: "count", args: 1 },
      { name: "max", args: 2 },
      { name: "f", args: 0 },
    ]);
    expect(functionCalls(`SELECT json_array('a,b,c', 'it''s, (fine)', (1, 2)) -- f(1,2,3)\n /* g(1,2) */`)).toEqual([
      { name: "json_array", args: 3 },
    ]);
    expect(functionCalls(`SELECT value FROM json_each(?) AS j WHERE j.value ->> 'id' = ?`)).toEqual([
      { name: "json_each", args: 1 },
    ]);
  });
});

describe("stats", () => {
  it("counts statements, round trips and D1's rows read/written exactly", async () => {
    const { db, record } = guarded("stats");
    const client = clientRow(tenant());
    await db.batch([
      db.insert(clients).values(client), // 1 row: table + primary key + 4 indexes (2 of them completeness's, migration 0011; complete NULL) = 6 rows written
      db.insert(addresses).values([addressRow(client), addressRow(client)]), // 2 × (table + pk + 2 indexes)
      db.select().from(addresses).where(eq(addresses.clientId, client.id)), // 2 rows read through the index
      db.select().from(clients).where(eq(clients.id, client.id)), // 1 row read by primary key
    ]);
    expect(record.roundTrips).toBe(1);
    expect(record.statementCount).toBe(4);
    expect(record.batchSizes).toEqual([4]);
    expect(record.statements.map((s) => [s.params, s.rowsRead, s.rowsWritten])).toEqual([
      [12, 0, 6],
      [26, 0, 8],
      [1, 2, 0],
      [1, 1, 0],
    ]);
    expect(record.rowsRead).toBe(3);
    expect(record.rowsWritten).toBe(14);

    // Single calls are a round trip each; first() is metered (it runs as all()), raw() is not.
    await db.delete(addresses).where(eq(addresses.clientId, client.id)); // run()
    await db.select().from(clients).where(eq(clients.id, client.id)); // drizzle uses raw()
    expect(record.roundTrips).toBe(3);
    expect(record.statementCount).toBe(6);
    expect(record.statements.slice(4).map((s) => [s.kind, s.rowsRead, s.rowsWritten])).toEqual([
      ["run", 4, 2],
      ["raw", null, null],
    ]);
    expect(record.unmeteredStatements).toBe(1);
    expect(record.rowsRead).toBe(7);
    expect(record.rowsWritten).toBe(16);
  });
});

describe("fault injection", () => {
  it("fails the chosen statement inside D1, which rolls the whole batch back", async () => {
    const { db, guard, record } = guarded("fault");
    const client = clientRow(tenant());
    guard.failStatement = (info) => info.kind === "batch" && info.index === 2;
    await expect(
      db.batch([
        db.insert(clients).values(client),
        db.insert(addresses).values(addressRow(client)),
        db.insert(writeGuards).values({ ok: 1 }),
        db.update(clients).set({ name: "B" }).where(eq(clients.id, client.id)),
      ]),
    ).rejects.toThrow(/malformed JSON/);
    expect(record.statements.map((s) => s.injectedFault)).toEqual([false, false, true, false]);
    expect(record.violations).toEqual([]);
    const count = async (table: string) =>
      (await env.DB_TEST_0.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(client.tenantId).first("n"));
    expect(await count("clients")).toBe(0);
    expect(await count("addresses")).toBe(0);
    expect(FAILING_SQL).toContain("json(");

    // Without the fault the same batch goes through.
    guard.failStatement = undefined;
    await db.batch([db.insert(clients).values(client), db.insert(addresses).values(addressRow(client))]);
    expect(await count("clients")).toBe(1);
  });

  it("fails single calls too", async () => {
    const { binding, guard } = guarded();
    guard.failStatement = (info) => info.sql.includes("victim");
    await expect(binding.prepare("SELECT 1 AS victim").all()).rejects.toThrow(/malformed JSON/);
    await expect(binding.prepare("SELECT 1 AS bystander").first("bystander")).resolves.toBe(1);
  });
});

describe("as the bench's recorder (enforceLimits: false, keepValues)", () => {
  it("records a broken limit without failing the statement, which runs", async () => {
    const guard = createD1Guard({ enforceLimits: false });
    const binding = guard.wrap(env.DB_TEST_0, "recorder");
    const record = guard.last!;
    // 33 arguments: over D1's 32, which local D1 runs.
    const array = await binding.prepare(`SELECT json_array(${numbers(33).join(", ")}) AS a`).first<string>("a");
    expect(JSON.parse(array!)).toHaveLength(33);
    for (let i = 0; i < 50; i++) await binding.prepare("SELECT ?").bind(i).run();
    expect(record.statementCount).toBe(51);
    expect(record.violations.map((v) => v.limit)).toEqual(["maxFunctionArgs", "maxStatementsPerRequest"]);
    expect(guard.violations).toHaveLength(2);
  });

  it("keeps the bound values only when asked, and times every round trip", async () => {
    for (const keepValues of [false, true]) {
      const guard = createD1Guard({ keepValues });
      const binding = guard.wrap(env.DB_TEST_0, "values");
      await binding.prepare("SELECT ?, ?").bind(1, "a").all();
      await binding.batch([binding.prepare("SELECT ?").bind(2), binding.prepare("SELECT 3")]);
      const record = guard.last!;
      expect(record.statements.map((s) => s.values)).toEqual(keepValues ? [[1, "a"], [2], []] : [undefined, undefined, undefined]);
      expect(record.statements.map((s) => s.params)).toEqual([2, 1, 0]);
      expect(record.roundTripMs).toHaveLength(record.roundTrips);
      expect(record.roundTripMs.every((ms) => typeof ms === "number" && ms >= 0)).toBe(true);
    }
  });

  it("enforces by default", async () => {
    const binding = createD1Guard().wrap(env.DB_TEST_0, "default");
    await expect(binding.prepare(`SELECT ${placeholders(101)}`).bind(...numbers(101)).all()).rejects.toThrow(/^D1 guard: 101 bound parameters/);
  });
});

describe("sessions", () => {
  it("records what runs through a D1 session in the request's record, with where the session started, and still enforces the limits", async () => {
    const { guard, binding, record } = guarded();
    await binding.prepare("SELECT 1").all(); // outside any session
    const session = binding.withSession("first-primary");
    expect(session.getBookmark()).toBeNull(); // nothing ran in it yet
    const db = drizzle(session as unknown as D1Database);
    await db.batch([db.select().from(clients).where(eq(clients.id, "none")), db.run(sql`SELECT 2`)]);
    const bookmark = session.getBookmark();
    expect(bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    const resumed = binding.withSession(bookmark!);
    expect(resumed.getBookmark()).toBe(bookmark); // a session opened at a bookmark starts there
    await expect(resumed.prepare(`SELECT ${placeholders(101)}`).bind(...numbers(101)).all()).rejects.toThrow(/^D1 guard: 101 bound parameters/);
    binding.withSession(); // D1's default start
    expect(record.sessions).toEqual(["first-primary", bookmark, "first-unconstrained"]);
    expect(record.statements.map((s) => s.session)).toEqual([null, "first-primary", "first-primary", bookmark]);
    expect([record.roundTrips, record.batchSizes]).toEqual([3, [2]]);
    expect(guard.violations.map((v) => v.limit)).toEqual(["maxParams"]);
  });
});
