// A local webhook receiver for the tests: outbound fetches to https://receiver.test/… (the consumer
// runs in the tests' isolate, so replacing the global fetch reaches it) are recorded, and answered
// as each URL's script says: a status, "hang" (until the consumer's timeout aborts the request) or
// "network" (a network error). Any other URL goes to the real fetch.
export type Behaviour = number | "hang" | "network";

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  event: { id: string; type: string; createdAt: string; data: { clientId: string; sequence: number } & Record<string, unknown> };
}

export const RECEIVER_HOST = "receiver.test";

export function installReceiver() {
  const original = globalThis.fetch;
  const received: Received[] = [];
  const scripts = new Map<string, Behaviour[]>();

  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).host !== RECEIVER_HOST) return original(input, init);
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
    /** A fresh URL; `script` answers its first requests in order (then 200). */
    url(script: Behaviour[] = []): string {
      const url = `https://${RECEIVER_HOST}/${crypto.randomUUID()}`;
      scripts.set(url, [...script]);
      return url;
    },
    at: (url: string) => received.filter((r) => r.url === url),
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
