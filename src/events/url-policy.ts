// Which webhook URLs an endpoint may have (API.md §12). In `live`: https only, to a public host —
// never a private, loopback, link-local or otherwise non-public address, in any notation. The WHATWG
// URL parser already turns every IPv4 spelling (2130706433, 0177.0.0.1, 0x7f000001, 127.1) into
// dotted decimal and IPv6 into its compressed form, so the checks below see one notation each.
// `test` also takes http and any host (local development: http://localhost:4000/hooks).
import type { Environment } from "../env";

export const MAX_URL_LENGTH = 2048;

/** Why a URL is refused, or null when it is accepted. */
export function urlProblem(raw: string, environment: Environment): string | null {
  if (raw.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "url must be an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "url must not carry credentials (user:password@)";
  if (environment === "test") {
    return url.protocol === "https:" || url.protocol === "http:" ? null : "url must be http or https";
  }
  if (url.protocol !== "https:") return "url must be https in live";
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "url must not point to localhost in live";
  const ipv4 = parseIpv4(host);
  if (ipv4 !== null) return isPublicIpv4(ipv4) ? null : "url must not point to a private, loopback, link-local or reserved address in live";
  if (host.startsWith("[")) return isPublicIpv6(host.slice(1, -1)) ? null : "url must not point to a private, loopback, link-local or reserved address in live";
  if (!host.includes(".")) return "url must name a public host in live";
  return null;
}

/** A dotted-decimal IPv4 address (as the URL parser writes every IPv4 host) as a number, else null. */
function parseIpv4(host: string): number | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!match) return null;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

const v4 = (a: number, b: number, c: number, d: number) => ((a * 256 + b) * 256 + c) * 256 + d;

/** Non-public IPv4 ranges (IANA special-purpose registry): [network, prefix length]. */
const NON_PUBLIC_V4: readonly [number, number][] = [
  [v4(0, 0, 0, 0), 8], // "this network"
  [v4(10, 0, 0, 0), 8], // private
  [v4(100, 64, 0, 0), 10], // carrier-grade NAT
  [v4(127, 0, 0, 0), 8], // loopback
  [v4(169, 254, 0, 0), 16], // link-local (cloud metadata services)
  [v4(172, 16, 0, 0), 12], // private
  [v4(192, 0, 0, 0), 24], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24], // documentation
  [v4(192, 88, 99, 0), 24], // 6to4 relay anycast
  [v4(192, 168, 0, 0), 16], // private
  [v4(198, 18, 0, 0), 15], // benchmarking
  [v4(198, 51, 100, 0), 24], // documentation
  [v4(203, 0, 113, 0), 24], // documentation
  [v4(224, 0, 0, 0), 4], // multicast
  [v4(240, 0, 0, 0), 4], // reserved, broadcast
];

function inRange(address: number, network: number, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) === Math.floor(network / size);
}

function isPublicIpv4(address: number): boolean {
  return !NON_PUBLIC_V4.some(([network, prefix]) => inRange(address, network, prefix));
}

/** The 8 groups of an IPv6 address in the URL parser's compressed form (no embedded dotted IPv4). */
function ipv6Groups(address: string): number[] | null {
  const [head = "", tail, ...rest] = address.split("::");
  if (rest.length > 0) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return null;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.some(Number.isNaN) ? null : groups;
}

function isPublicIpv6(address: string): boolean {
  const g = ipv6Groups(address);
  if (!g) return false;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embeddedV4 = g6 * 65_536 + g7;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    // ::, ::1, ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible): the IPv4 address decides, if any.
    if (g5 === 0xffff || (g5 === 0 && embeddedV4 > 1)) return isPublicIpv4(embeddedV4);
    return false;
  }
  if (g0 === 0x64 && g1 === 0xff9b) return isPublicIpv4(embeddedV4); // NAT64 64:ff9b::/96
  if (g0 === 0x2002) return isPublicIpv4(g1 * 65_536 + g2); // 6to4 carries an IPv4 address
  if ((g0 & 0xfe00) === 0xfc00) return false; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return false; // site-local fec0::/10 (deprecated)
  if ((g0 & 0xff00) === 0xff00) return false; // multicast ff00::/8
  if (g0 === 0x2001 && g1 === 0x0db8) return false; // documentation 2001:db8::/32
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return false; // discard 100::/64
  if (g0 === 0x2001 && g1 < 0x0200) return false; // IETF protocol assignments 2001::/23 (Teredo included)
  return true;
}

/**
 * Whether an IP address (as a DNS answer gives it: dotted IPv4, or IPv6 in any textual form) is
 * public. Anything that does not parse as an address is not (fail closed). Used at delivery time
 * (events/address-check.ts) on what the URL's host resolves to.
 */
export function isPublicAddress(address: string): boolean {
  const ipv4 = parseIpv4(address);
  if (ipv4 !== null) return isPublicIpv4(ipv4);
  if (!address.includes(":")) return false;
  let host: string;
  try {
    // The URL parser writes every IPv6 spelling (an embedded dotted IPv4 included) in compressed hex form.
    host = new URL(`http://[${address}]/`).hostname;
  } catch {
    return false;
  }
  return isPublicIpv6(host.slice(1, -1));
}
