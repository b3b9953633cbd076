// One HTTP attempt of one event at one endpoint (API.md §12): a signed POST; a 2xx within 10 s is a
// success; any other status, a timeout or a network error is a failure, reported with what happened.
import { DELIVERY_TIMEOUT_MS } from "./schedule";
import { webhookHeaders } from "./signing";

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  /** Why it failed, for the delivery log (never the receiver's body). */
  error: string | null;
}

export async function attemptDelivery(url: string, secret: string, eventId: string, body: string): Promise<AttemptOutcome> {
  const started = Date.now();
  const headers = await webhookHeaders(secret, eventId, body, started);
  try {
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    // Not read: only the status matters, and the body may be large or never end.
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, durationMs: Date.now() - started, error: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error)?.name;
    const timedOut = name === "TimeoutError" || name === "AbortError";
    const message = timedOut ? `timeout: no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : `network error: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
    return { ok: false, statusCode: null, durationMs: Date.now() - started, error: message };
  }
}
