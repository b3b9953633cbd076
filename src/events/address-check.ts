// The delivery-time address check (API.md §12): in `live`, before each attempt, the URL's host is
// resolved (A and AAAA, DNS over HTTPS) and the attempt is refused when any answer is a private,
// loopback, link-local or otherwise non-public address (url-policy.ts's ranges) — a public name
// can point anywhere, and can be changed after the endpoint was created. A refusal is a failed
// attempt: recorded with its reason and retried by the schedule. `test` is not checked (it takes
// http://localhost by contract).
import type { Environment } from "../env";
import { isPublicAddress, urlProblem } from "./url-policy";

/** The addresses a host name resolves to (A and AAAA); throws DnsError when it cannot be told. */
export type Resolver = (host: string) => Promise<string[]>;

export class DnsError extends Error {
  override name = "DnsError";
}

export const DOH_URL = "https://cloudflare-dns.com/dns-query";
const DOH_TIMEOUT_MS = 5_000;
const RECORD_TYPES = { A: 1, AAAA: 28 } as const;
const NXDOMAIN = 3;

interface DohAnswer {
  Status?: number;
  Answer?: { type?: number; data?: string }[];
}

async function query(host: string, type: keyof typeof RECORD_TYPES): Promise<string[]> {
  const url = `${DOH_URL}?name=${encodeURIComponent(host)}&type=${type}`;
  let answer: DohAnswer;
  try {
    // The global fetch at call time (the tests answer it).
    const response = await fetch(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(DOH_TIMEOUT_MS) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new DnsError(`DNS over HTTPS answered HTTP ${response.status} for ${type}`);
    }
    answer = (await response.json()) as DohAnswer;
  } catch (error) {
    if (error instanceof DnsError) throw error;
    const name = (error as Error)?.name;
    throw new DnsError(name === "TimeoutError" || name === "AbortError" ? `no DNS answer within ${DOH_TIMEOUT_MS / 1000} s` : `DNS lookup failed (${type})`);
  }
  // NXDOMAIN: no addresses (the host does not exist). Any other non-zero status (SERVFAIL, REFUSED…) is a failure.
  if (answer.Status === NXDOMAIN) return [];
  if (answer.Status !== 0) throw new DnsError(`DNS lookup failed (${type}: status ${answer.Status})`);
  // A CNAME chain comes with its records: only the addresses of the asked type count.
  return (answer.Answer ?? []).filter((a) => a.type === RECORD_TYPES[type] && typeof a.data === "string").map((a) => a.data!);
}

/** Resolves through Cloudflare's DNS over HTTPS (JSON API), both families at once. */
export const dohResolver: Resolver = async (host) => {
  const [a, aaaa] = await Promise.all([query(host, "A"), query(host, "AAAA")]);
  return [...a, ...aaaa];
};

/** Why an attempt to this URL is refused now, or null when it may be made. */
export async function deliveryRefusal(rawUrl: string, environment: Environment, resolve: Resolver): Promise<string | null> {
  if (environment === "test") return null;
  // What the URL itself says (also for a URL stored before today's policy).
  const problem = urlProblem(rawUrl, environment);
  if (problem) return `refused: ${problem}`;
  const host = new URL(rawUrl).hostname.replace(/\.$/, "");
  // An IP literal was checked by the URL policy: nothing to resolve.
  if (host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    // Fail closed: an address that cannot be checked is not called; the schedule retries it.
    return `refused: could not resolve the host to check its address (${error instanceof DnsError ? error.message : "DNS lookup failed"})`;
  }
  if (addresses.length === 0) return "refused: the host does not resolve to any address";
  const privateOne = addresses.find((address) => !isPublicAddress(address));
  return privateOne === undefined ? null : `refused: host resolves to a private address (${privateOne.slice(0, 60)})`;
}
