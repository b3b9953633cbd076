// Which webhook URLs an environment accepts (API.md §12): in live, https to public hosts only —
// private, loopback, link-local and reserved addresses refused in every notation a URL can spell
// them; in test, also http and any host.
import { describe, expect, it } from "vitest";
import { webhookEndpoints } from "../../src/db/schema";
import { urlProblem } from "../../src/events/url-policy";
import { createHarness } from "../support/harness";

const REFUSED_IN_LIVE: [string, string][] = [
  ["http to a public host", "http://hooks.example.com/in"],
  ["loopback", "https://127.0.0.1/"],
  ["loopback, other address", "https://127.255.0.9/"],
  ["loopback, decimal", "https://2130706433/"],
  ["loopback, octal", "https://0177.0.0.1/"],
  ["loopback, hex", "https://0x7f000001/"],
  ["loopback, hex octets", "https://0x7f.0x0.0x0.0x1/"],
  ["loopback, short", "https://127.1/"],
  ["loopback, trailing dot", "https://127.0.0.1./"],
  ["this network", "https://0.0.0.0/"],
  ["private 10/8", "https://10.1.2.3/"],
  ["private 172.16/12", "https://172.31.255.1/"],
  ["private 192.168/16", "https://192.168.1.1/"],
  ["private, decimal", "https://3232235777/"],
  ["carrier-grade NAT", "https://100.64.0.1/"],
  ["link-local (metadata)", "https://169.254.169.254/latest/meta-data"],
  ["multicast", "https://224.0.0.1/"],
  ["broadcast", "https://255.255.255.255/"],
  ["documentation", "https://192.0.2.10/"],
  ["IPv6 loopback", "https://[::1]/"],
  ["IPv6 loopback, long", "https://[0:0:0:0:0:0:0:1]/"],
  ["IPv6 unspecified", "https://[::]/"],
  ["IPv6 unique local", "https://[fc00::1]/"],
  ["IPv6 unique local fd", "https://[fd12:3456::1]/"],
  ["IPv6 link-local", "https://[fe80::1]/"],
  ["IPv6 multicast", "https://[ff02::1]/"],
  ["IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/"],
  ["IPv4-mapped private, hex", "https://[::ffff:a00:1]/"],
  ["IPv4-compatible loopback", "https://[::127.0.0.1]/"],
  ["NAT64 of a private address", "https://[64:ff9b::10.0.0.1]/"],
  ["6to4 of loopback", "https://[2002:7f00:1::]/"],
  ["IPv6 documentation", "https://[2001:db8::1]/"],
  ["localhost", "https://localhost/"],
  ["localhost, any case", "https://LocalHost:8443/"],
  ["a .localhost name", "https://api.localhost/"],
  ["a single-label host", "https://intranet/"],
  ["credentials in the URL", "https://user:pass@hooks.example.com/"],
  ["not http", "ftp://hooks.example.com/"],
  ["not a URL", "hooks.example.com/in"],
];

const ACCEPTED_IN_LIVE: [string, string][] = [
  ["a public host", "https://hooks.example.com/in?x=1"],
  ["a public host with a port", "https://hooks.example.com:8443/in"],
  ["a public IPv4 address", "https://8.8.8.8/"],
  ["a host that starts with digits", "https://127.example.com/"],
  ["a public IPv6 address", "https://[2606:4700::1111]/"],
  ["IPv4-mapped public address", "https://[::ffff:8.8.8.8]/"],
];

describe("url policy (table)", () => {
  it.each(REFUSED_IN_LIVE)("live refuses %s", (_what, url) => {
    expect(urlProblem(url, "live")).not.toBeNull();
  });
  it.each(ACCEPTED_IN_LIVE)("live accepts %s", (_what, url) => {
    expect(urlProblem(url, "live")).toBeNull();
  });
  it.each([
    ["http to localhost", "http://localhost:4000/hooks"],
    ["http to loopback", "http://127.0.0.1:4000/"],
    ["https to a public host", "https://hooks.example.com/in"],
  ])("test accepts %s", (_what, url) => {
    expect(urlProblem(url, "test")).toBeNull();
  });
  it.each([
    ["not http", "ftp://hooks.example.com/"],
    ["credentials", "http://a:b@localhost/"],
    ["not a URL", "localhost:4000"],
  ])("test refuses %s", (_what, url) => {
    expect(urlProblem(url, "test")).not.toBeNull();
  });
});

describe("url policy (HTTP)", () => {
  const h = createHarness();
  it.each(REFUSED_IN_LIVE.slice(0, 12))("POST /webhook-endpoints in live refuses %s with a 400 at /url", async (_what, url) => {
    const { key, tenantId } = await h.newTenantWithKey("live");
    const response = await h.post("/webhook-endpoints", { url }, { key, env: "live" });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "/url", code: "invalid_url", detail: expect.any(String) }]);
    expect(await h.rows("live", webhookEndpoints, { tenantId })).toHaveLength(0);
  });
  it("the same URL is accepted in test", async () => {
    const { key } = await h.newTenantWithKey("test");
    expect((await h.post("/webhook-endpoints", { url: "http://127.0.0.1:4000/hooks" }, { key })).status).toBe(200);
  });
});
