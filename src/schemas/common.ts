// Building blocks of every request schema, and the one place zod issues become JSON Pointer errors.
import * as z from "zod";
import { pointer, type FieldError } from "../field-errors";
import { isUuid } from "../ids";
import { countryCodeSpellings, isCountryCode } from "../validators/countries";
import { isRealDate } from "../validators/mexico";

const encoder = new TextEncoder();
export const utf8Length = (s: string) => encoder.encode(s).length;

/** No unpaired UTF-16 surrogate: String.prototype.isWellFormed (ES2024, native; no regex scan). */
const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** Not empty or only spaces: `\s` is exactly what trim() removes (WhiteSpace and LineTerminator), without a copy. */
const NOT_BLANK = /\S/;

/**
 * A string of `min`–`max` characters that is not blank, and that can be stored exactly: no NUL
 * character and no unpaired UTF-16 surrogate (D1 would store a replacement character instead).
 */
export function text(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => NOT_BLANK.test(s), { message: "Must not be empty or only spaces" })
    .refine((s) => !s.includes("\u0000"), { message: "Must not contain NUL characters" })
    .refine(isWellFormed, { message: "Must not contain unpaired UTF-16 surrogates" })
    // For the document: the refinements above are invisible to JSON Schema; "not blank" is these two.
    .meta({ minLength: 1, pattern: "\\S" });
}

// `.meta` carries the checks a refinement makes into the OpenAPI document (JSON Schema formats,
// patterns): the document shows what the service accepts.
export const uuid = z
  .string()
  .refine(isUuid, { message: "Must be a UUID" })
  .meta({ format: "uuid" })
  .transform((s) => s.toLowerCase());

export const date = z
  .string()
  .refine(isRealDate, { message: "Must be a real calendar date, YYYY-MM-DD" })
  .meta({ format: "date" });

/** An assigned ISO 3166-1 alpha-2 code in any case, upper-cased (src/validators/countries.ts). */
export const countryCode = z
  .string()
  .refine(isCountryCode, { message: "Must be an ISO 3166-1 alpha-2 country code" })
  .transform((s) => s.toUpperCase())
  // For the document: every spelling the refinement accepts, as one component.
  .meta({
    id: "CountryCodeInput",
    enum: countryCodeSpellings(),
    description: "An ISO 3166-1 alpha-2 country code (assigned codes only), in any case; stored and answered upper-cased",
  });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deepest nesting a free-form object may have (deeper ones cannot be serialized safely). */
export const MAX_JSON_DEPTH = 64;

/**
 * The first value a free-form object cannot hold faithfully: nesting past MAX_JSON_DEPTH, or a
 * number JSON.parse made infinite (1e400 would silently come back as null). Iterative, so that no
 * depth overflows the stack.
 */
function unstorable(root: Record<string, unknown>): { path: PropertyKey[]; message: string } | null {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "number" && !Number.isFinite(value)) {
      return { path, message: "Number out of range: it cannot be stored exactly" };
    }
    if (typeof value !== "object" || value === null) continue;
    if (path.length >= MAX_JSON_DEPTH) return { path, message: `Nested more than ${MAX_JSON_DEPTH} levels deep` };
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, Array.isArray(value) ? Number(key) : key] });
  }
  return null;
}

/**
 * A free-form JSON object of at most `maxBytes` serialized. Kept as parsed (not rebuilt key by key),
 * so that no key, `__proto__` included, is lost or turned into something else.
 */
export function jsonObject(maxBytes: number) {
  return z
    .custom<Record<string, unknown>>(isPlainObject, { message: "Must be a JSON object" })
    .superRefine((o, ctx) => {
      const problem = unstorable(o);
      if (problem) {
        ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
        return;
      }
      const json = JSON.stringify(o);
      // A string of n UTF-16 units is at most 3n bytes of UTF-8: only a long one needs encoding.
      if (json.length * 3 > maxBytes && utf8Length(json) > maxBytes) {
        ctx.addIssue({ code: "custom", message: `Must be at most ${maxBytes / 1024} KiB once serialized` });
      }
    })
    // For the document: an object with any keys (a typed client can send any key).
    .meta({
      type: "object",
      additionalProperties: {},
      description: `A free-form JSON object: any keys, at most ${maxBytes / 1024} KiB serialized, nested at most ${MAX_JSON_DEPTH} levels`,
    });
}

export const METADATA_MAX_BYTES = 16 * 1024;
export const FIELDS_MAX_BYTES = 64 * 1024;
export const metadata = jsonObject(METADATA_MAX_BYTES);

/** A list whose entries must be unique (after normalization). */
export function uniqueList<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item)
    .max(max)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((value, index) => {
        if (seen.has(value)) ctx.addIssue({ code: "custom", path: [index], message: `Duplicate value "${value}"` });
        seen.add(value);
      });
    })
    .meta({ uniqueItems: true });
}

/** zod issues → FieldErrors with JSON Pointers, prefixed by `base` (e.g. ["items", 3]). */
export function fieldErrors(error: z.ZodError, base: readonly PropertyKey[] = []): FieldError[] {
  const out: FieldError[] = [];
  const visit = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]) => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          out.push({ pointer: pointer([...path, key]), code: "unrecognized_key", detail: `Unknown key "${key}"` });
        }
      } else if (issue.code === "invalid_union" && issue.errors.length > 0 && issue.errors.every((e) => e.length > 0)) {
        // Report the branch that got furthest rather than a bare "invalid input": the deepest, and
        // among equals one whose type matched (11 nationalities are too many, not "not a string").
        const best = [...issue.errors].sort((a, b) => branchProgress(b) - branchProgress(a))[0]!;
        visit(best, path);
      } else {
        out.push({ pointer: pointer(path), code: issue.code, detail: issue.message });
      }
    }
  };
  visit(error.issues, base);
  return out;
}

function branchProgress(issues: readonly z.core.$ZodIssue[]): number {
  const depth = Math.max(0, ...issues.map((i) => i.path.length));
  const typeMatched = !issues.some((i) => i.code === "invalid_type" && i.path.length === 0);
  return depth * 2 + (typeMatched ? 1 : 0);
}

/** Custom issue helper for rules checked outside zod (on the merged state). */
export function fieldError(path: readonly PropertyKey[], code: string, detail: string): FieldError {
  return { pointer: pointer(path), code, detail };
}
