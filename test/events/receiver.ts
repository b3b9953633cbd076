// A local webhook receiver for the tests: outbound fetches to https://receiver.test/… (the consumer
// runs in the tests' isolate, so replacing the global fetch reaches it) are recorded, and answered
// as each URL's script says: a status, "hang" (until the consumer's timeout aborts the request) or
// "network" (a network error); its subdomains (<x>.receiver.test) too. The live address check's DNS over HTTPS queries
// (src/events/address-check.ts) are answered here too, from a table: receiver.test resolves to a
// public address unless a test says otherwise (`dns`), any other name does not exist. Any other URL
// goes to the real fetch.
import { DOH_URL } from "../../src/events/address-check";
export type Behaviour = number | "hang" | "network";

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  event: { id: string; type: string; createdAt: string; data: { clientId: string; sequence: number } & Record<string, unknown> };
}

export const RECEIVER_HOST = "receiver.test";
/** A public address (Cloudflare's) that receiver.test resolves to by default. */
export const PUBLIC_ADDRESS = "104.16.132.229";

/** What a name resolves to: its A and AAAA records, or a failing resolver (HTTP 503, or status SERVFAIL). */
export type DnsAnswer = { A?: readonly string[]; AAAA?: readonly string[] } | "http-error" | "servfail";

export function installReceiver() {
  const original = globalThis.fetch;
  const received: Received[] = [];
  const scripts = new Map<string, Behaviour[]>();
  const names = new Map<string, DnsAnswer>([[RECEIVER_HOST, { A: [PUBLIC_ADDRESS] }]]);
  const dnsQueries: string[] = [];

  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const target = new URL(request.url);
    if (`${target.origin}${target.pathname}` === DOH_URL) {
      const name = target.searchParams.get("name")!;
      const type = target.searchParams.get("type") as "A" | "AAAA";
      dnsQueries.push(`${name} ${type}`);
      const answer = names.get(name);
      if (answer === "http-error") return new Response("unavailable", { status: 503 });
      if (answer === "servfail") return Response.json({ Status: 2 });
      if (answer === undefined) return Response.json({ Status: 3 });
      const records = (answer[type] ?? []).map((data) => ({ name, type: type === "A" ? 1 : 28, TTL: 60, data }));
      // A CNAME first, as a resolver answers for an alias: not an address, never checked as one.
      return Response.json({ Status: 0, Answer: [{ name, type: 5, TTL: 60, data: "alias.example." }, ...records] });
    }
    if (target.host !== RECEIVER_HOST && !target.host.endsWith(`.${RECEIVER_HOST}`)) return original(input, init);
    const body = await request.text();
    received.push({ url: request.url, headers: Object.fromEntries(request.headers), body, event: JSON.parse(body) });
    const behaviour = scripts.get(request.url)?.shift() ?? 200;
    if (behaviour === "network") throw new TypeError("Network connection lost.");
    if (behaviour === "hang") {
      return new Promise<Response>((_, reject) => {
        const signal = init?.signal ?? request.signal;
        signal?.addEventListener("abort", () => reject(signal.reason));
      });
    }
    return new Response(behaviour >= 200 && behaviour < 300 ? "ok" : "no", { status: behaviour });
  };

  return {
    /** A fresh URL (at receiver.test, or `host`: a subdomain of it); `script` answers its first requests in order (then 200). */
    url(script: Behaviour[] = [], host = RECEIVER_HOST): string {
      const url = `https://${host}/${crypto.randomUUID()}`;
      scripts.set(url, [...script]);
      return url;
    },
    at: (url: string) => received.filter((r) => r.url === url),
    /** What `name` resolves to from now on (receiver.test included). */
    dns(name: string, answer: DnsAnswer) {
      names.set(name, answer);
    },
    /** The DNS queries made so far ("<name> <type>"). */
    dnsQueries: () => [...dnsQueries],
    restore() {
      globalThis.fetch = original;
    },
  };
}

/** Polls until `check` returns a value that is not undefined/false (the queue runs on its own). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
