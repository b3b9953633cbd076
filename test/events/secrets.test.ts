// Webhook secrets at rest (API.md §12, issue 20): stored sealed with AES-GCM under a key id
// (src/events/secret-box.ts), never in plain; the consumer opens them to sign; rows written before
// migration 0005 (plain whsec_…) still deliver; rotation keeps old ids opening; anything altered,
// moved or under an unknown key id fails closed — a refused attempt, logged, retried, never sent.
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { webhookEndpoints } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { RETRY_DELAYS_SECONDS } from "../../src/events/schedule";
import { isPlain, keyIdOf, keyringOf, newKeyMaterial, open, resealed, seal, SecretBoxError } from "../../src/events/secret-box";
import { newSecret } from "../../src/events/signing";
import { createHarness } from "../support/harness";
import { installReceiver } from "./receiver";
import { attempts, deliveries, holdQueue, tenantWithEndpoint } from "./support";

const h = createHarness();
const receiver = installReceiver();
afterAll(() => receiver.restore());

let held: ReturnType<typeof holdQueue> | null = null;
const hold = () => (held = holdQueue(h));
afterEach(() => {
  held?.restore();
  held = null;
  vi.restoreAllMocks();
});

const env = h.env as Env;
const CURRENT = env.WEBHOOK_SECRET_KEY_ID!;
const SEALED = new RegExp(`^v1\\.${CURRENT}\\.[A-Za-z0-9+/]{16}\\.[A-Za-z0-9+/=]+$`);
const individual = (externalId: string, name = "Ana") => ({ client: { type: "individual", name, externalId } });

async function storedRow(id: string) {
  const [row] = await h.rows("test", webhookEndpoints, { id });
  if (!row) throw new Error(`no endpoint ${id}`);
  return row;
}

async function store(id: string, secret: string, secretKeyId: string | null) {
  await h.db("test").update(webhookEndpoints).set({ secret, secretKeyId }).where(eq(webhookEndpoints.id, id));
}

/** The settings after a rotation: the test key kept, a new one current. */
function rotatedEnv(): Env {
  const keys = JSON.parse(env.WEBHOOK_SECRET_KEYS!) as Record<string, string>;
  return { ...env, WEBHOOK_SECRET_KEYS: JSON.stringify({ ...keys, "test-2027": newKeyMaterial() }), WEBHOOK_SECRET_KEY_ID: "test-2027" };
}

/** One event of a new client, delivered by the consumer step by step (with `withEnv`'s settings). */
async function deliverOne(key: string, externalId: string, withEnv: Env = env) {
  const queue = hold();
  await h.post("/clients/sync", individual(externalId), { key });
  const steps = await queue.pump(withEnv);
  queue.restore();
  held = null;
  return steps;
}

describe("webhook secrets at rest", () => {
  it("stores the secret sealed under the current key id, never in plain; the answer alone shows it", async () => {
    const { key, endpoint } = await tenantWithEndpoint(h, receiver.url());
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const row = await storedRow(endpoint.id);
    expect(row.secret).toMatch(SEALED);
    expect(row.secretKeyId).toBe(CURRENT);
    expect(row.secret).not.toContain(endpoint.secret);
    expect(row.secret).not.toContain(endpoint.secret.slice("whsec_".length));
    expect(JSON.stringify(row)).not.toContain(endpoint.secret.slice("whsec_".length, 20));
    expect(await open(row.secret, await keyringOf(env), endpoint.id)).toBe(endpoint.secret);
    // Two endpoints with a fresh IV each: never the same ciphertext.
    const other = await h.post("/webhook-endpoints", { url: receiver.url() }, { key });
    const otherRow = await storedRow(other.body.id);
    expect(otherRow.secret.split(".")[2]).not.toBe(row.secret.split(".")[2]);
    // Listing never shows a secret, sealed or plain.
    const listed = await h.get("/webhook-endpoints", { key });
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(endpoint.secret);
    expect(listed.text).not.toContain(row.secret);
    expect(listed.text).not.toContain("secret");
  });

  it("signs deliveries with the plain secret, which an independent implementation verifies", async () => {
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    await deliverOne(key, "sec-sign");
    const [got] = receiver.at(url);
    expect(got).toBeDefined();
    expect(new Webhook(endpoint.secret).verify(got!.body, got!.headers)).toEqual(got!.event);
    expect((await attempts(h, endpoint.id))[0]).toMatchObject({ attempt: 1, statusCode: 200, error: null });
  });

  it("still delivers for a row written before encryption (plain whsec_…), read as plain", async () => {
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    await store(endpoint.id, endpoint.secret, null);
    await deliverOne(key, "sec-plain");
    const [got] = receiver.at(url);
    expect(new Webhook(endpoint.secret).verify(got!.body, got!.headers)).toEqual(got!.event);
  });

  it("rotation: a secret sealed under the old key id opens after the current id changed, and re-sealed opens under the new one", async () => {
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    const rotated = rotatedEnv();
    await deliverOne(key, "sec-rot-1", rotated);
    expect(receiver.at(url)).toHaveLength(1);
    expect(new Webhook(endpoint.secret).verify(receiver.at(url)[0]!.body, receiver.at(url)[0]!.headers)).toBeTruthy();

    // New endpoints are sealed under the new current id.
    const keyring = await keyringOf(rotated);
    const fresh = await seal(newSecret(), keyring, "some-endpoint");
    expect(keyIdOf(fresh.sealed)).toBe("test-2027");

    // What `npm run webhook-secrets -- rotate` does to the row (test/scripts/webhook-secrets.node.test.ts runs the command).
    const row = await storedRow(endpoint.id);
    const next = await resealed(row.secret, keyring, endpoint.id);
    expect(next).toMatchObject({ keyId: "test-2027", from: CURRENT });
    expect(await resealed(next!.sealed, keyring, endpoint.id)).toBeNull();
    await store(endpoint.id, next!.sealed, next!.keyId);
    await deliverOne(key, "sec-rot-2", rotated);
    expect(receiver.at(url)).toHaveLength(2);
    expect(new Webhook(endpoint.secret).verify(receiver.at(url)[1]!.body, receiver.at(url)[1]!.headers)).toBeTruthy();

    // Once the old key is gone, a row still under it no longer opens (rotate before dropping a key).
    const oldOnly = await keyringOf(env);
    await expect(open(next!.sealed, oldOnly, endpoint.id)).rejects.toThrow(/sealed under key id "test-2027", which WEBHOOK_SECRET_KEYS does not hold/);
  });

  it("fails closed on a tampered ciphertext: nothing is sent, the attempt is refused, logged and retried", async () => {
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    const row = await storedRow(endpoint.id);
    const parts = row.secret.split(".");
    const ciphertext = parts[3]!;
    const flipped = (ciphertext[0] === "A" ? "B" : "A") + ciphertext.slice(1);
    await store(endpoint.id, [...parts.slice(0, 3), flipped].join("."), row.secretKeyId);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});

    const steps = await deliverOne(key, "sec-tamper");
    expect(receiver.at(url)).toHaveLength(0);
    const [attempt] = await attempts(h, endpoint.id);
    expect(attempt).toMatchObject({ attempt: 1, statusCode: null, deadLettered: false });
    expect(attempt!.error).toBe(
      `refused: the endpoint's signing secret cannot be opened (the secret sealed under key id "${CURRENT}" does not open (altered, moved from another endpoint, or another key under that id))`,
    );
    expect(steps.at(-1)!.result.retryDelays).toEqual([RETRY_DELAYS_SECONDS[0]]);
    expect((await deliveries(h, endpoint.id))[0]).toMatchObject({ state: "pending", attempts: 1 });
    const refused = log.mock.calls.filter(([message]) => message === "webhook delivery refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]![1]).toMatchObject({ endpointId: endpoint.id, environment: "test", reason: attempt!.error });
    expect(JSON.stringify(log.mock.calls)).not.toContain(endpoint.secret.slice("whsec_".length, 20));
  });

  it("fails closed on a sealed secret moved to another endpoint's row, an unknown key id, or a malformed value", async () => {
    const keyring = await keyringOf(env);
    const secret = newSecret();
    const { sealed } = await seal(secret, keyring, "endpoint-a");
    expect(await open(sealed, keyring, "endpoint-a")).toBe(secret);
    await expect(open(sealed, keyring, "endpoint-b")).rejects.toBeInstanceOf(SecretBoxError);
    await expect(open(sealed.replace(`v1.${CURRENT}.`, "v1.nope."), keyring, "endpoint-a")).rejects.toThrow(/key id "nope"/);
    for (const bad of ["", "v1", `v1.${CURRENT}.x.y`, `v2.${CURRENT}.${sealed.split(".")[2]}.${sealed.split(".")[3]}`, "plain-text", sealed.slice(0, -4)]) {
      await expect(open(bad, keyring, "endpoint-a"), bad).rejects.toBeInstanceOf(SecretBoxError);
    }
    expect(isPlain(secret)).toBe(true);
    expect(isPlain(sealed)).toBe(false);

    // In the consumer: an endpoint under a key id the Worker does not hold is refused, not sent.
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    const row = await storedRow(endpoint.id);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const noCurrent = { ...env, WEBHOOK_SECRET_KEYS: JSON.stringify({ other: newKeyMaterial() }), WEBHOOK_SECRET_KEY_ID: "other" };
    await deliverOne(key, "sec-unknown", noCurrent);
    expect(receiver.at(url)).toHaveLength(0);
    expect((await attempts(h, endpoint.id))[0]!.error).toBe(
      `refused: the endpoint's signing secret cannot be opened (the secret is sealed under key id "${row.secretKeyId}", which WEBHOOK_SECRET_KEYS does not hold)`,
    );
  });

  it("refuses malformed key settings, naming the setting and never the key", async () => {
    const material = newKeyMaterial();
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ WEBHOOK_SECRET_KEY_ID: "a" }, /WEBHOOK_SECRET_KEYS is not set/],
      [{ WEBHOOK_SECRET_KEYS: JSON.stringify({ a: material }) }, /WEBHOOK_SECRET_KEY_ID is not set/],
      [{ WEBHOOK_SECRET_KEYS: "{not json", WEBHOOK_SECRET_KEY_ID: "a" }, /not JSON/],
      [{ WEBHOOK_SECRET_KEYS: JSON.stringify([material]), WEBHOOK_SECRET_KEY_ID: "a" }, /must be a JSON object/],
      [{ WEBHOOK_SECRET_KEYS: JSON.stringify({ a: material.slice(0, 20) }), WEBHOOK_SECRET_KEY_ID: "a" }, /key "a" must be base64 of 32 bytes/],
      [{ WEBHOOK_SECRET_KEYS: JSON.stringify({ "a.b": material }), WEBHOOK_SECRET_KEY_ID: "a.b" }, /key id "a.b" must match/],
      [{ WEBHOOK_SECRET_KEYS: JSON.stringify({ a: material }), WEBHOOK_SECRET_KEY_ID: "b" }, /"b" names no key/],
    ];
    for (const [settings, message] of cases) {
      const error = await keyringOf(settings).catch((e: unknown) => e);
      expect(error, JSON.stringify(settings)).toBeInstanceOf(SecretBoxError);
      expect(String((error as Error).message)).toMatch(message);
      expect(String((error as Error).message)).not.toContain(material.slice(0, 12));
    }
  });

  it("without usable keys, creating an endpoint is a 500 that names no secret, and nothing is stored", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const saved = env.WEBHOOK_SECRET_KEYS;
    (env as { WEBHOOK_SECRET_KEYS?: string }).WEBHOOK_SECRET_KEYS = undefined;
    let created;
    try {
      created = await h.post("/webhook-endpoints", { url: receiver.url() }, { key });
    } finally {
      (env as { WEBHOOK_SECRET_KEYS?: string }).WEBHOOK_SECRET_KEYS = saved;
    }
    expect(created.status).toBe(500);
    expect(created.body.code).toBe("INTERNAL_SERVER_ERROR");
    expect(created.text).not.toMatch(/whsec_|WEBHOOK_SECRET/);
    expect(await h.rows("test", webhookEndpoints, { tenantId })).toHaveLength(0);
    const logged = h.logs.at(-1)!;
    expect(JSON.stringify(logged)).toContain("WEBHOOK_SECRET_KEYS is not set");
    expect(JSON.stringify(logged)).not.toContain("whsec_");
    // With the keys back, the same call works.
    expect((await h.post("/webhook-endpoints", { url: receiver.url() }, { key })).status).toBe(200);
  });
});
