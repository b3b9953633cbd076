// The README's curl walkthrough matches the OpenAPI document: every path it calls is a documented
// operation, every header it sends is a documented parameter or the security scheme, and every JSON
// body it sends validates against the operation's request schema. (The Workers tests check that
// the service answers what the document says; together, the walkthrough works as written.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document";
import { documentValidator } from "./validate";

const document = openApiDocument("http://localhost:8787") as Record<string, any>;
const validator = documentValidator(document);
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const SAMPLE_ID = "01a1ff41-ab2f-7000-804b-202e540e5a4e";

interface Call {
  method: string;
  path: string;
  headers: string[];
  body?: string;
}

/** The curl commands of the README's shell blocks, with shell line continuations joined. */
function curlCalls(): Call[] {
  const blocks = [...readme.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, " "));
  const calls: Call[] = [];
  for (const block of blocks) {
    // A command runs from `curl` to the end of its line, or to the end of a multi-line -d '…' body.
    for (const match of block.matchAll(/curl\s[^\n]*?(?:-d\s+'([^']*(?:'"\$ID"'[^']*)*)'|$)/gm)) {
      const command = match[0];
      const url = /"\$API(\/[^"?]*)(\?[^"]*)?"/.exec(command);
      if (!url) continue;
      const method = /-X\s+(\w+)/.exec(command)?.[1] ?? "GET";
      const headers = [...command.matchAll(/-H\s+"([^:]+):/g)].map((h) => h[1]!.toLowerCase());
      if (command.includes('"${H[@]}"')) headers.push("x-environment", "authorization");
      if (command.includes('"${J[@]}"')) headers.push("content-type");
      const body = match[1]?.replaceAll(`'"$ID"'`, SAMPLE_ID);
      calls.push({ method, path: url[1]!.replace("$ID", SAMPLE_ID), headers, body });
    }
  }
  return calls;
}

function operationOf(method: string, path: string): Record<string, any> | undefined {
  for (const [template, item] of Object.entries(document.paths as Record<string, any>)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (pattern.test(path) && item[method.toLowerCase()]) return item[method.toLowerCase()];
  }
  return undefined;
}

const calls = curlCalls();

describe("the README's curl walkthrough", () => {
  it("calls every documented operation at least once", () => {
    const used = new Set(calls.map((c) => operationOf(c.method, c.path)?.operationId));
    const documented = Object.values(document.paths as Record<string, any>).flatMap((item) =>
      Object.values(item as Record<string, any>).map((op) => op.operationId),
    );
    expect(documented.filter((id) => !used.has(id))).toEqual([]);
  });

  it.each(calls.map((c) => [`${c.method} ${c.path}`, c] as const))("%s is a documented operation", (_, call) => {
    expect(operationOf(call.method, call.path)).toBeDefined();
  });

  it.each(calls.map((c) => [`${c.method} ${c.path}`, c] as const))("%s sends only documented headers", (_, call) => {
    const operation = operationOf(call.method, call.path)!;
    const documented = new Set<string>([
      ...(operation.parameters ?? []).filter((p: any) => p.in === "header").map((p: any) => p.name.toLowerCase()),
      // The security schemes: Bearer (Authorization) and the Environment apiKey scheme (X-Environment).
      "authorization",
      ...Object.values(document.components.securitySchemes as Record<string, any>)
        .filter((scheme) => scheme.type === "apiKey" && scheme.in === "header")
        .map((scheme) => String(scheme.name).toLowerCase()),
      ...(operation.requestBody ? ["content-type"] : []),
    ]);
    expect(call.headers.filter((h) => !documented.has(h))).toEqual([]);
    expect(call.headers).toEqual(expect.arrayContaining(["x-environment", "authorization"]));
  });

  const posts = calls.filter((c) => c.body !== undefined);
  it("sends JSON bodies (there are some to check)", () => {
    expect(posts.length).toBeGreaterThanOrEqual(3);
  });

  it.each(posts.map((c) => [`${c.method} ${c.path}`, c] as const))("%s sends a body its request schema accepts", (_, call) => {
    const operation = operationOf(call.method, call.path)!;
    const schema = operation.requestBody.content["application/json"].schema;
    expect(validator.errorsOf(schema.$ref, JSON.parse(call.body!))).toEqual([]);
  });
});
