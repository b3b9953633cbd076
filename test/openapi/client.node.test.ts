// A typed client works from the document: openapi-typescript turns the document GET /openapi.json
// serves (live.test.ts checks it is this one) into types, and a client script written with
// openapi-fetch — a maximal sync body, every key of every item set, free-form objects with keys of
// their own — compiles with the project's tsc, and reads `scopeData.MX.rfc` of the answer without a
// cast. X-Environment is set once on the client (a security scheme, issue 26), not on each call.
// Scripts that break the contract (a value of the wrong type, a wrong type read back) must not
// compile: the check checks.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { typesOf } from "clients-api-openapi-types";
import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document";
import { documentValidator } from "./validate";

const ROOT = new URL("../..", import.meta.url).pathname;
const TSC = join(ROOT, "node_modules/.bin/tsc");
const SLOW = { timeout: 120_000 };

const CLIENT_ID = "019aa7c1-2b3f-7000-8a1e-3c4d5e6f7a01";
const CHILD_ID = "019aa7c1-2b3f-7002-8c3f-5e6f7a8b9c03";
const LINKED_ID = "019aa7c2-0a11-7000-8b95-becfd0e1f209";

const free = { segment: "retail", tier: 2, flags: [true, null], nested: { anything: { goes: "here" } } };

const client = {
  type: "individual",
  name: "Ana",
  middleName: "Lucía",
  lastName: "Gómez",
  birthDate: "1980-01-01",
  nationalities: ["MX", "es"],
  scopes: ["base", "MX", "MX:AV", "MX:AV:AVI", "MX:CNBV", "MX:CNBV:TRANSMISOR"],
  externalId: "crm-1001",
  metadata: free,
  employment: { isEmployee: true, employeeId: "E-7", position: "Analyst", department: "Risk", startDate: "2020-02-03" },
  scopeData: {
    MX: {
      rfc: "goma800101ab1",
      curp: null,
      actividadVulnerable: { ARI: {}, AVI: { username: "ana" }, INM: {}, JYS: {}, MJR: {}, MPC: {}, TSC: {}, VEH: {} },
      cnbv: { TRANSMISOR: { numeroCuenta: "0001", claveSujetoObligado: "CSO-1" } },
    },
    US: { ssnLast4: "1234", any: { key: ["at", "all"] } },
  },
};

const childKeys = { id: CHILD_ID, clientId: CLIENT_ID, externalId: "crm-1001-x", metadata: free, _delete: false };

/** Every key the sync body takes, every key of every item set. */
const MAXIMAL_SYNC = {
  clientId: CLIENT_ID,
  client,
  addresses: [
    {
      ...childKeys,
      isPrimary: true,
      type: "home",
      street: "Av. Reforma 222",
      city: "Ciudad de México",
      state: "CDMX",
      postalCode: "06600",
      country: "mx",
      scopeData: {
        MX: {
          exteriorNumber: "222",
          interiorNumber: "4B",
          neighborhood: "Juárez",
          municipality: "Cuauhtémoc",
          betweenStreets: "Havre y Praga",
          reference: "Frente al parque",
          cnbv: { TRANSMISOR: { localidad: "09015" } },
        },
        US: { county: "n/a" },
      },
    },
  ],
  contactMethods: [{ ...childKeys, isPrimary: true, type: "email", value: "ana@example.com", label: "work" }],
  bankAccounts: [
    {
      ...childKeys,
      isPrimary: true,
      accountNumber: "1234567890",
      bankName: "BBVA",
      bankCode: "012",
      country: "MX",
      currency: "MXN",
      type: "checking",
      isActive: true,
      label: "payroll",
      clabe: "012180001234567891",
      codigoBanco: "012",
      codigoPlaza: "180",
    },
  ],
  documents: [
    {
      ...childKeys,
      type: "passport",
      category: "identity",
      expiresAt: "2030-12-31",
      fields: { number: "G1234567", issuedBy: { country: "MX" } },
      filename: "passport.pdf",
      contentType: "application/pdf",
      size: 123456,
    },
  ],
  linkedClients: [
    { clientId: LINKED_ID, child: { ...client, externalId: "crm-2002" }, relationshipType: "guarantor", metadata: free, _delete: false },
  ],
  replaceMode: true,
  dryRun: true,
};

/** A client script: `body` and `extra` are spliced into a function that syncs and reads the answer. */
function script(options: { header?: string; body?: string; read?: string } = {}): string {
  const header = options.header ?? `{ "Idempotency-Key": "import-1", "If-Match": '"0123"', "X-Request-Id": "r-1" }`;
  const body = options.body ?? JSON.stringify(MAXIMAL_SYNC, null, 2);
  const read = options.read ?? "const rfc: string | null | undefined = data.client.scopeData.MX?.rfc;";
  return `import createClient from "openapi-fetch";
import type { paths } from "./api";

// X-Environment is a security scheme: set once, with the key, for every call.
const api = createClient<paths>({ baseUrl: "http://localhost:8787", headers: { "X-Environment": "test" } });

export async function sync(key: string): Promise<string | null | undefined> {
  const { data, error, response } = await api.POST("/clients/sync", {
    params: { header: ${header} },
    headers: { Authorization: \`Bearer \${key}\` },
    body: ${body},
  });
  if (error) throw new Error(\`\${error.status} \${error.code}: \${error.errors.map((e) => e.pointer).join(", ")}\`);
  const etag: string | null = response.headers.get("etag");
  const created: string[] = data.addresses.created.map((a) => a.scopeData.MX?.neighborhood ?? a.city);
  ${read}
  void etag;
  void created;
  return rfc;
}
`;
}

let dir: string;
let variant = 0;

/** tsc's complaints about a script (empty when it compiles). */
function compile(source: string): string {
  const name = `client${variant++}.ts`;
  writeFileSync(join(dir, name), source);
  writeFileSync(
    join(dir, `tsconfig.${name}.json`),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "es2022",
        lib: ["es2023", "dom"],
        module: "esnext",
        moduleResolution: "bundler",
        types: [],
        skipLibCheck: false,
      },
      files: [name, "api.d.ts"],
    }),
  );
  try {
    execFileSync(TSC, ["-p", join(dir, `tsconfig.${name}.json`)], { encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ""}${stderr ?? ""}` || String(error);
  }
}

beforeAll(async () => {
  // Inside the project, so that the script resolves openapi-fetch from its node_modules.
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  dir = mkdtempSync(join(ROOT, "test-artifacts", "openapi-client-"));
  writeFileSync(join(dir, "api.d.ts"), await typesOf(openApiDocument("http://localhost:8787")));
}, 60_000);

describe("a typed client from the document (openapi-typescript + openapi-fetch)", () => {
  it("the maximal sync body is one the document's SyncRequest schema accepts", () => {
    const validator = documentValidator(openApiDocument("http://localhost:8787") as Record<string, any>);
    expect(validator.errorsOf("#/components/schemas/SyncRequest", MAXIMAL_SYNC)).toEqual([]);
  });

  it("compiles a client that sends the maximal sync body and reads scopeData.MX.rfc without a cast", SLOW, () => {
    expect(compile(script())).toBe("");
  });

  it("compiles a call that does not repeat X-Environment (set once on the client), and refuses an undocumented header parameter", SLOW, () => {
    expect(compile(script({ header: `{ "Idempotency-Key": "import-1" }` }))).toBe("");
    expect(compile(script({ header: `{ "X-Environment": "test" }` }))).toMatch(/X-Environment/);
  });

  it("types BatchResult's atomic as a boolean (no discriminator read as the strings \"true\"/\"false\")", SLOW, () => {
    const assertions = `import type { components } from "./api";
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Batch = components["schemas"]["BatchResult"];
const atomicIsBoolean: Equal<Batch["atomic"], boolean> = true;
const verifiedIsBoolean: Equal<components["schemas"]["HistoryVerification"]["valid"], boolean> = true;
export function failedOf(result: Batch): number {
  // Narrowing on the boolean reaches the partial branch's own keys.
  return result.atomic ? 0 : result.failed.length;
}
void atomicIsBoolean;
void verifiedIsBoolean;
`;
    expect(compile(assertions)).toBe("");
    // The check checks: the same assertion against a string type fails.
    expect(compile(assertions.replace('Equal<Batch["atomic"], boolean> = true', 'Equal<Batch["atomic"], "true" | "false"> = true'))).toMatch(/TS2322/);
  });

  it("does not compile a body with a value of the wrong type, nor a wrong type read back", SLOW, () => {
    // Line 11 of a script is its body.
    expect(compile(script({ body: `{ clientId: "${CLIENT_ID}", client: { metadata: "retail" } }` }))).toMatch(/\(11,\d+\): error TS2322/);
    expect(compile(script({ body: `{ clientId: "${CLIENT_ID}", client: { scopes: ["MX:XX"] } }` }))).toMatch(/"MX:XX"/);
    expect(compile(script({ read: "const rfc: number | undefined = data.client.scopeData.MX?.rfc ?? undefined;" }))).toMatch(
      /Type 'string \| undefined' is not assignable to type 'number \| undefined'/,
    );
  });
});
