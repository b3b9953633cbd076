// A lock per client, in a Durable Object, taken (write/client-lock.ts) only by writes that already
// lost a race for the client's history chain (write/runner.ts). Only src/index.ts imports this
// module: Node tools that load the routes cannot resolve its cloudflare:workers import.
// Writes of one client that touch different records all succeed (API.md §6) but each must append
// to the one chain (§11): without the lock, N writers
// refused together retry together and lose again, and each retry costs D1 statements that a
// request has only 50 of. Holding the lock, a loser reads the chain's head and writes once: the
// contended ones go one after another, each in a few statements. The uncontended write never
// comes here (no extra hop). The lock is a lease: a holder that dies frees it after LEASE_MS.
import { DurableObject } from "cloudflare:workers";

/** How long a holder may keep the lock before the next waiter gets it anyway. */
export const LEASE_MS = 10_000;

export class ClientWriteLock extends DurableObject {
  #holder: string | null = null;
  #lease: ReturnType<typeof setTimeout> | null = null;
  readonly #waiting: { token: string; granted: () => void }[] = [];

  /** Resolves with this holder's token once the lock is its own (first come, first served). */
  async acquire(): Promise<string> {
    const token = crypto.randomUUID();
    if (this.#holder === null) this.#grant(token);
    else await new Promise<void>((granted) => this.#waiting.push({ token, granted }));
    return token;
  }

  /** Frees the lock if `token` still holds it (a holder whose lease ran out frees nothing). */
  async release(token: string): Promise<void> {
    if (this.#holder === token) this.#next();
  }

  #grant(token: string): void {
    this.#holder = token;
    if (this.#lease) clearTimeout(this.#lease);
    this.#lease = setTimeout(() => this.#next(), LEASE_MS);
  }

  #next(): void {
    const waiter = this.#waiting.shift();
    if (!waiter) {
      this.#holder = null;
      if (this.#lease) clearTimeout(this.#lease);
      this.#lease = null;
      return;
    }
    this.#grant(waiter.token);
    waiter.granted();
  }
}

