// Taking a client's write lock (the Durable Object in write/client-write-lock.ts, which says why).
import type { ClientWriteLock } from "./client-write-lock";

/** The lock of one client in one environment (the client id is unique across tenants). */
export type ClientLocks = DurableObjectNamespace<ClientWriteLock>;

/** Runs `work` holding the lock of `clientId`; frees it whatever happens. */
export async function withClientLock<T>(locks: ClientLocks, environment: string, clientId: string, work: () => Promise<T>): Promise<T> {
  const stub = locks.get(locks.idFromName(`${environment}:${clientId}`));
  const token = await stub.acquire();
  try {
    return await work();
  } finally {
    await stub.release(token);
  }
}
