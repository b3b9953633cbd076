// What change events (API.md §12) add to a write, and what the consumer costs per event:
//   npx vitest run --config bench/events-cost.bench-config.ts
// Each write is made for a tenant without endpoints and for one with 1 and with 5 endpoints, and
// compared: D1 statements, round trips, rows written and read (the test suite's D1 guard, from D1's
// meta), queue sends, and the in-process time (median of REPS; local SQLite, indicative only: the
// after-commit send runs after the answer, in waitUntil, and costs no D1 round trip). Then the
// consumer's D1 cost per event: the fan-out, and one delivery per endpoint. Prints a table.
import { it } from "vitest";
import type { Env } from "../../src/env";
import type { EventMessage } from "../../src/events/messages";
import worker from "../../src/index";
import { createMessageBatch } from "cloudflare:test";
import { createHarness, type ApiResponse } from "../../test/support/harness";
import { installReceiver } from "../../test/events/receiver";
import { holdQueue } from "../../test/events/support";

const REPS = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

it("events cost per write", async () => {
  const h = createHarness();
  const receiver = installReceiver();
  const queue = holdQueue(h);
  const rows: string[][] = [["write", "endpoints", "statements", "round trips", "rows written", "rows read", "queue sends", "ms (median)"]];

  const tenant = async (endpoints: number) => {
    const { key } = await h.newTenantWithKey();
    for (let i = 0; i < endpoints; i++) await h.post("/webhook-endpoints", { url: receiver.url() }, { key });
    return key;
  };
  type Write = (key: string, rep: number) => Promise<ApiResponse>;
  const none: Write = async () => ({}) as ApiResponse;
  const workloads: [string, Write, Write][] = [
    ["sync: create 1 client", none, (key, rep) => h.post("/clients/sync", { client: { type: "individual", name: "Ana", externalId: `c-${rep}` } }, { key })],
    [
      "sync: update 1 client",
      (key, rep) => h.post("/clients/sync", { client: { type: "individual", name: "Ana", externalId: `u-${rep}` } }, { key }),
      (key, rep) => h.post("/clients/sync", { client: { externalId: `u-${rep}`, name: "Ana María" } }, { key }),
    ],
    ["batch: 100 clients", none, (key, rep) => h.post("/clients/batch", { items: Array.from({ length: 100 }, (_, i) => ({ type: "individual", name: `B${i}`, externalId: `b-${rep}-${i}` })) }, { key })],
  ];
  for (const [name, setup, write] of workloads) {
    for (const endpoints of [0, 1, 5]) {
      const key = await tenant(endpoints);
      const ms: number[] = [];
      let last: ApiResponse | undefined;
      let sends = 0;
      for (let rep = 0; rep < REPS; rep++) {
        await setup(key, rep);
        queue.held.splice(0);
        const before = queue.sendBatch.mock.calls.length;
        const started = performance.now();
        last = await write(key, rep);
        ms.push(performance.now() - started);
        sends = queue.sendBatch.mock.calls.length - before;
        if (last.status !== 200) throw new Error(`${name}: ${last.status} ${last.text}`);
        queue.held.splice(0);
      }
      const s = last!.stats;
      rows.push([name, String(endpoints), String(s.statementCount), String(s.roundTrips), String(s.rowsWritten), String(s.rowsRead), String(sends), median(ms).toFixed(1)]);
    }
  }

  // The consumer, per event: its D1 under the guard, the queue held.
  const consumerRows: string[][] = [["consumer step", "endpoints", "round trips", "statements", "rows written", "rows read", "messages sent"]];
  for (const endpoints of [1, 5]) {
    const key = await tenant(endpoints);
    await h.post("/clients/sync", { client: { type: "individual", name: "Ana" } }, { key });
    const step = async (label: string, body: EventMessage) => {
      const request = new Request(`http://consumer/${label}/${crypto.randomUUID()}`);
      const env = { ...(h.env as Env), DB_TEST_0: h.guard.wrap((h.env as Env).DB_TEST_0, request) } as Env;
      const sentBefore = queue.held.length;
      const batch = createMessageBatch<EventMessage>("clients-api-events", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }]);
      await worker.queue(batch, env);
      const [record] = h.guard.recordsOf(request);
      return { record: record!, sent: queue.held.length - sentBefore };
    };
    const [event] = queue.held.splice(0);
    const fan = await step("fan-out", event!);
    consumerRows.push(["fan-out (event)", String(endpoints), String(fan.record.roundTrips), String(fan.record.statementCount), String(fan.record.rowsWritten), String(fan.record.rowsRead), String(fan.sent)]);
    const nexts = queue.held.splice(0);
    const delivered = await step("deliver", nexts[0]!);
    consumerRows.push(["one delivery (next)", String(endpoints), String(delivered.record.roundTrips), String(delivered.record.statementCount), String(delivered.record.rowsWritten), String(delivered.record.rowsRead), String(delivered.sent)]);
    queue.held.splice(0);
  }
  queue.restore();
  receiver.restore();
  const print = (table: string[][]) => table.map((r) => `| ${r.join(" | ")} |`).join("\n");
  console.log(`\nChange events: cost per write (local D1, in-process)\n${print(rows)}\n\nConsumer, per event\n${print(consumerRows)}\n`);
});
