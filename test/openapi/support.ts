// Shared by the test/openapi tests: sending a document example through the harness, and comparing
// an answer with an example where the values are deterministic.
import { EXAMPLES, type ApiExample, type OperationId } from "../../src/openapi/examples";
import { OPERATIONS } from "../../src/routes";
import type { ApiResponse, Harness } from "../support/harness";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const REQUEST_ID = /^req_[0-9a-f]{32}$/;
const PROBLEM_TYPE = /^https?:\/\/[^/]+(\/problems\/[a-z-]+)$/;
const KEY_PREFIX = /^sk_(test|live)_(?:s[1-9]\d?_)?[A-Za-z0-9_-]{8}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Replaces what differs from run to run: each distinct UUID by its order of first appearance
 * (so "the address's clientId is the client's id" is still compared), timestamps, request ids, key
 * prefixes and SHA-256 hashes by a placeholder, and the origin of problem type URIs.
 */
export function normalize(value: unknown): unknown {
  const ids = new Map<string, string>();
  const visit = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (TIMESTAMP.test(v)) return "<timestamp>";
      if (REQUEST_ID.test(v)) return "<requestId>";
      // A history entry names the API key by its display prefix, and carries hashes over its ids and times.
      if (KEY_PREFIX.test(v)) return "<keyPrefix>";
      if (SHA256.test(v)) return "<sha256>";
      const type = PROBLEM_TYPE.exec(v);
      if (type) return `<origin>${type[1]}`;
      return v.replace(UUID, (id) => {
        const key = id.toLowerCase();
        if (!ids.has(key)) ids.set(key, `<id${ids.size + 1}>`);
        return ids.get(key)!;
      });
    }
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]));
    return v;
  };
  return visit(value);
}

/** The method of the operation with this operationId (from the operation list, src/routes). */
export function methodOf(operationId: OperationId): string {
  const operation = OPERATIONS.find((o) => o.doc?.operationId === operationId);
  if (!operation) throw new Error(`No operation ${operationId}`);
  return operation.method;
}

export function exampleNamed(name: string): ApiExample {
  const example = EXAMPLES.find((e) => e.name === name);
  if (!example) throw new Error(`No example ${name}`);
  return example;
}

/** Sends an example's request (after its `given` one) in a fresh tenant. */
export async function sendExample(h: Harness, example: ApiExample): Promise<ApiResponse> {
  const tenantId = h.newTenant();
  const key =
    example.key === "none"
      ? undefined
      : await h.createKey({ tenantId, permissions: example.key === "read-only" ? ["clients:read"] : undefined });
  let path = example.request.path;
  if (example.given) {
    const given = exampleNamed(example.given);
    const setup = await h.request(methodOf(given.operationId), given.request.path, {
      key,
      body: given.request.body,
    });
    if (setup.status !== 200) throw new Error(`${example.given} answered ${setup.status}: ${setup.text}`);
    if (path.includes("{id}")) path = path.replace("{id}", setup.body.client.id);
  }
  return h.request(methodOf(example.operationId), path, { key, body: example.request.body });
}
