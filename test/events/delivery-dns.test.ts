// The delivery-time address check (API.md §12, issue 20): in live, before each attempt, the URL's
// host is resolved (DNS over HTTPS, answered by the test receiver's table) and the attempt is
// refused — recorded in webhook_attempts, logged, retried like any failure — when any address is
// private, loopback, link-local or reserved; when DNS fails it is refused too (fail closed) and
// retried. Public hosts are delivered; the test environment is not checked (localhost by contract).
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { deliveryRefusal, DnsError, dohResolver, type Resolver } from "../../src/events/address-check";
import { RETRY_DELAYS_SECONDS } from "../../src/events/schedule";
import { isPublicAddress } from "../../src/events/url-policy";
import { createHarness } from "../support/harness";
import { installReceiver, PUBLIC_ADDRESS, RECEIVER_HOST, type DnsAnswer } from "./receiver";
import { attempts, deliveries, holdQueue, tenantWithEndpoint } from "./support";

const h = createHarness();
const receiver = installReceiver();
afterAll(() => receiver.restore());

let held: ReturnType<typeof holdQueue> | null = null;
afterEach(() => {
  held?.restore();
  held = null;
  vi.restoreAllMocks();
});

/** A live (or test) endpoint at a fresh subdomain of the receiver that resolves as `answer` says. */
async function endpointResolvingTo(answer: DnsAnswer, env: "live" | "test" = "live") {
  const host = `${crypto.randomUUID().slice(0, 8)}.${RECEIVER_HOST}`;
  receiver.dns(host, answer);
  const url = receiver.url([], host);
  const { key, endpoint, tenantId } = await tenantWithEndpoint(h, url, { env });
  return { host, url, key, endpoint, tenantId };
}

/** One event of a new client, through the consumer step by step. */
async function deliverOne(key: string, env: "live" | "test" = "live") {
  held = holdQueue(h);
  const sync = await h.post("/clients/sync", { client: { type: "individual", name: "Ana", externalId: `dns-${crypto.randomUUID()}` } }, { key, env });
  expect(sync.status).toBe(200);
  return held.pump();
}

describe("delivery-time address check (live)", () => {
  it.each([
    ["an IPv4 private address", { A: [PUBLIC_ADDRESS, "10.0.0.5"] }, "10.0.0.5"],
    ["loopback", { A: ["127.0.0.1"] }, "127.0.0.1"],
    ["link-local (cloud metadata)", { A: ["169.254.169.254"] }, "169.254.169.254"],
    ["an IPv6 unique-local address", { A: [PUBLIC_ADDRESS], AAAA: ["fd00::1"] }, "fd00::1"],
    ["an IPv4-mapped IPv6 loopback", { AAAA: ["::ffff:127.0.0.1"] }, "::ffff:127.0.0.1"],
  ] as const)("refuses a host that resolves to %s: recorded, logged, retried, nothing sent", async (_, answer, address) => {
    const { url, key, endpoint } = await endpointResolvingTo(answer);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const steps = await deliverOne(key);
    expect(receiver.at(url)).toHaveLength(0);
    const [attempt] = await attempts(h, endpoint.id, undefined, "live");
    expect(attempt).toMatchObject({ attempt: 1, statusCode: null, deadLettered: false, error: `refused: host resolves to a private address (${address})` });
    expect(Date.parse(attempt!.nextRetryAt!) - Date.parse(attempt!.attemptedAt)).toBe(RETRY_DELAYS_SECONDS[0] * 1000);
    expect(steps.at(-1)!.result.retryDelays).toEqual([RETRY_DELAYS_SECONDS[0]]);
    expect((await deliveries(h, endpoint.id, "live"))[0]).toMatchObject({ state: "pending", attempts: 1 });
    const refused = log.mock.calls.filter(([message]) => message === "webhook delivery refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]![1]).toMatchObject({ environment: "live", endpointId: endpoint.id, reason: attempt!.error });

    // The deliveries log shows the reason.
    const listed = await h.get(`/webhook-endpoints/${endpoint.id}/deliveries`, { key, env: "live" });
    expect(listed.body.data[0].error).toBe(attempt!.error);
  });

  it("delivers to a host whose every address is public (A and AAAA both asked)", async () => {
    const { host, url, key, endpoint } = await endpointResolvingTo({ A: [PUBLIC_ADDRESS], AAAA: ["2606:4700::6810:84e5"] });
    await deliverOne(key);
    expect(receiver.at(url)).toHaveLength(1);
    expect((await attempts(h, endpoint.id, undefined, "live"))[0]).toMatchObject({ statusCode: 200, error: null });
    expect(receiver.dnsQueries()).toEqual(expect.arrayContaining([`${host} A`, `${host} AAAA`]));
  });

  it("refuses when DNS fails or the host does not resolve (fail closed), and delivers once it resolves to a public address", async () => {
    const { host, url, key, endpoint } = await endpointResolvingTo("http-error");
    vi.spyOn(console, "error").mockImplementation(() => {});
    await deliverOne(key);
    receiver.dns(host, "servfail");
    await deliverOne(key);
    receiver.dns(host, {});
    await deliverOne(key);
    expect(receiver.at(url)).toHaveLength(0);
    // Each client's event is its own delivery; each failed its first attempt and waits for its retry.
    const errors = (await attempts(h, endpoint.id, undefined, "live")).map((a) => [a.attempt, a.error]);
    expect(errors).toEqual([
      [1, "refused: could not resolve the host to check its address (DNS over HTTPS answered HTTP 503 for A)"],
      [1, "refused: could not resolve the host to check its address (DNS lookup failed (A: status 2))"],
      [1, "refused: the host does not resolve to any address"],
    ]);
    expect((await deliveries(h, endpoint.id, "live")).map((d) => d.state)).toEqual(["pending", "pending", "pending"]);

    receiver.dns(host, { A: [PUBLIC_ADDRESS] });
    await deliverOne(key);
    expect(receiver.at(url)).toHaveLength(1);
  });

  it("checks a redelivery too", async () => {
    const { host, url, key, endpoint } = await endpointResolvingTo({ A: [PUBLIC_ADDRESS] });
    await deliverOne(key);
    expect(receiver.at(url)).toHaveLength(1);
    receiver.dns(host, { A: ["192.168.1.10"] });
    const [first] = await attempts(h, endpoint.id, undefined, "live");
    held!.restore();
    held = holdQueue(h);
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect((await h.post(`/events/${first!.eventId}/redeliver`, { endpointId: endpoint.id }, { key, env: "live" })).status).toBe(200);
    await held.pump();
    expect(receiver.at(url)).toHaveLength(1);
    const log = await attempts(h, endpoint.id, first!.eventId, "live");
    expect(log.map((a) => [a.attempt, a.error])).toEqual([
      [1, null],
      [null, "refused: host resolves to a private address (192.168.1.10)"],
    ]);
  });
});

describe("the test environment", () => {
  it("is not checked: a host resolving to a private address is delivered, and nothing is resolved", async () => {
    const { host, url, key } = await endpointResolvingTo({ A: ["10.0.0.5"] }, "test");
    await deliverOne(key, "test");
    expect(receiver.at(url)).toHaveLength(1);
    expect(receiver.dnsQueries().filter((q) => q.startsWith(host))).toEqual([]);
  });
});

describe("deliveryRefusal and the resolver", () => {
  const fixed =
    (addresses: string[] | Error): Resolver =>
    async () => {
      if (addresses instanceof Error) throw addresses;
      return addresses;
    };

  it("takes an injected resolver, resolves nothing for IP literals, and re-applies the URL policy", async () => {
    const never: Resolver = async () => {
      throw new Error("must not resolve");
    };
    expect(await deliveryRefusal("https://hooks.example.com/x", "live", fixed(["8.8.8.8", "2001:4860:4860::8888"]))).toBeNull();
    expect(await deliveryRefusal("https://hooks.example.com/x", "live", fixed(["8.8.8.8", "100.64.0.1"]))).toBe("refused: host resolves to a private address (100.64.0.1)");
    expect(await deliveryRefusal("https://hooks.example.com/x", "live", fixed(new DnsError("no DNS answer within 5 s")))).toBe(
      "refused: could not resolve the host to check its address (no DNS answer within 5 s)",
    );
    expect(await deliveryRefusal("https://hooks.example.com/x", "live", fixed(new Error("boom")))).toBe(
      "refused: could not resolve the host to check its address (DNS lookup failed)",
    );
    expect(await deliveryRefusal("https://8.8.8.8/x", "live", never)).toBeNull();
    expect(await deliveryRefusal("https://[2001:4860:4860::8888]/x", "live", never)).toBeNull();
    expect(await deliveryRefusal("https://10.1.2.3/x", "live", never)).toMatch(/^refused: url must not point to a private/);
    expect(await deliveryRefusal("http://hooks.example.com/x", "live", never)).toBe("refused: url must be https in live");
    expect(await deliveryRefusal("http://localhost:4000/x", "test", never)).toBeNull();
  });

  it("reads A and AAAA answers of DNS over HTTPS, skipping CNAMEs; NXDOMAIN is no address", async () => {
    receiver.dns("both.example", { A: ["1.1.1.1"], AAAA: ["2606:4700:4700::1111"] });
    expect(await dohResolver("both.example")).toEqual(["1.1.1.1", "2606:4700:4700::1111"]);
    expect(await dohResolver("missing.example")).toEqual([]);
    receiver.dns("broken.example", "servfail");
    await expect(dohResolver("broken.example")).rejects.toBeInstanceOf(DnsError);
  });

  it("classifies resolved addresses as the URL policy does, failing closed on anything unparsable", () => {
    for (const address of ["8.8.8.8", PUBLIC_ADDRESS, "2606:4700::6810:84e5", "::ffff:8.8.8.8"]) expect(isPublicAddress(address), address).toBe(true);
    for (const address of ["10.0.0.5", "172.16.0.1", "192.168.0.1", "127.0.0.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1", "::", "fe80::1", "fd12:3456::1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "not-an-ip", "", "1.2.3", "999.1.1.1"]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});
