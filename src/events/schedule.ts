// When a failed delivery is tried again (API.md §12: growing delays for at least 24 h, then
// dead-lettered). A Queue delay is at most 12 h.

/** Seconds to wait after failed attempt n (1-based): 11 retries, 27 h 48 min from the first attempt to the last. */
export const RETRY_DELAYS_SECONDS = [30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200] as const;

/** Attempts of one delivery before it is dead-lettered. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** A 2xx within this time is a success (API.md §12). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** The delay after failed attempt `attempt`, or null when it was the last one. */
export function retryDelayAfter(attempt: number): number | null {
  return attempt < MAX_ATTEMPTS ? RETRY_DELAYS_SECONDS[attempt - 1]! : null;
}
