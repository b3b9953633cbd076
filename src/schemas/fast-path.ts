// A fast path for the request schemas, compiled from the zod schemas themselves (not a second copy
// of their rules): it walks a schema's definition once and builds plain functions for the node types
// the request bodies are made of (objects, arrays, optional, nullable, strings, numbers, booleans,
// enums, unions, pipes and transforms), calling the schema's own checks — every refine, superRefine,
// overwrite, length or format check — exactly as zod runs them on a valid value. Any other node is
// run by zod itself.
//
// It only ever ACCEPTS: at the first problem it gives up and the caller hands the body to zod, so
// every error answer (and every error pointer) comes from zod. What it accepts, zod accepts, with the
// same output, keys in the same order (test/cpu/fast-path.test.ts checks both on generated bodies).
// Why: workerd forbids `new Function`, so zod's own compiled object parser cannot run there, and
// zod's general path costs about 10 ms on a maximal sync of 1,501 objects.
import type * as z from "zod";

/** The fast path gave up: let zod parse (and report) the value. */
export const GIVE_UP: unique symbol = Symbol("give up");

type Parse = (value: unknown) => unknown;

interface Internals {
  def: Record<string, any> & { type: string; checks?: Check[] };
  traits: Set<string>;
  optin?: "optional" | "defaulted";
  optout?: "optional";
  values?: Set<unknown>;
  run(payload: Payload, ctx: object): Payload | Promise<Payload>;
  check?(payload: Payload): unknown;
}
interface Check {
  _zod: { def: { when?: (payload: Payload) => boolean }; check(payload: Payload): unknown };
}
interface Payload {
  value: unknown;
  issues: unknown[];
}

const internals = (schema: unknown) => (schema as { _zod: Internals })._zod;
const RUN_CONTEXT = { async: false };

/** A node zod runs itself: its value when it reports no issue. */
function byZod(node: Internals): Parse {
  return (value) => {
    const result = node.run({ value, issues: [] }, RUN_CONTEXT);
    return result instanceof Promise || result.issues.length > 0 ? GIVE_UP : result.value;
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The parse of a node's own type, before its checks (zod's `_zod.parse`). */
function parseOf(node: Internals, compiled: Map<Internals, Parse>): Parse {
  const def = node.def;
  if (def.coerce) return byZod(node);
  switch (def.type) {
    case "string":
      return (value) => (typeof value === "string" ? value : GIVE_UP);
    case "number":
      return (value) => (typeof value === "number" && Number.isFinite(value) ? value : GIVE_UP);
    case "boolean":
      return (value) => (typeof value === "boolean" ? value : GIVE_UP);
    case "enum": {
      const values = node.values!;
      return (value) => (values.has(value) ? value : GIVE_UP);
    }
    case "custom":
      return (value) => value; // its test is its check (below)
    case "optional": {
      const inner = internals(def.innerType);
      if (inner.optin === "defaulted") return byZod(node);
      const parse = compile(inner, compiled);
      return (value) => (value === undefined ? undefined : parse(value));
    }
    case "nullable": {
      const parse = compile(internals(def.innerType), compiled);
      return (value) => (value === null ? null : parse(value));
    }
    case "array": {
      const element = compile(internals(def.element), compiled);
      return (value) => {
        if (!Array.isArray(value)) return GIVE_UP;
        const out = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = element(value[i]);
          if (item === GIVE_UP) return GIVE_UP;
          out[i] = item;
        }
        return out;
      };
    }
    case "object":
      return objectParse(node, compiled);
    case "union": {
      if (def.inclusive === false) return byZod(node);
      // The first option that accepts the value gives it (zod: the first with no issue).
      const options = (def.options as unknown[]).map((option) => compile(internals(option), compiled));
      return (value) => {
        for (const option of options) {
          const out = option(value);
          if (out !== GIVE_UP) return out;
        }
        return GIVE_UP;
      };
    }
    case "pipe": {
      const first = compile(internals(def.in), compiled);
      const then = compile(internals(def.out), compiled);
      return (value) => {
        const left = first(value);
        return left === GIVE_UP ? GIVE_UP : then(left);
      };
    }
    case "transform":
      return (value) => {
        const payload: Payload = { value, issues: [] };
        const out = def.transform(value, payload);
        return out instanceof Promise || payload.issues.length > 0 ? GIVE_UP : out;
      };
    default:
      return byZod(node);
  }
}

/**
 * zod's object parse (v4 $ZodObject with handlePropertyResult): shape keys in shape order, an
 * absent optional key left out, a present one kept even when undefined; a strict object refuses any
 * other key (`__proto__` included).
 */
function objectParse(node: Internals, compiled: Map<Internals, Parse>): Parse {
  const def = node.def;
  const catchall = def.catchall ? internals(def.catchall) : null;
  if (catchall && catchall.def.type !== "never") return byZod(node);
  const shape = def.shape as Record<string, unknown>;
  if (Object.getOwnPropertySymbols(shape).length > 0) return byZod(node);
  const keys = Object.keys(shape).filter((key) => key !== "__proto__");
  const keySet = new Set(Object.keys(shape));
  const fields = keys.map((key) => {
    const field = internals(shape[key]);
    return { key, parse: compile(field, compiled), optin: field.optin, optional: field.optout === "optional" };
  });
  const strict = catchall !== null;
  return (input) => {
    if (!isObject(input)) return GIVE_UP;
    const out: Record<string, unknown> = {};
    for (const { key, parse, optin, optional } of fields) {
      const present = key in input;
      if (!present && optional && optin === "optional") continue;
      const value = parse(input[key]);
      if (value === GIVE_UP) {
        if (!present && optin !== undefined && optional) continue;
        return GIVE_UP;
      }
      if (!present && optin === undefined) return GIVE_UP;
      if (value !== undefined || present || (optin === "defaulted" && !optional)) out[key] = value;
    }
    if (strict) {
      for (const key in input) if (!keySet.has(key)) return GIVE_UP;
    }
    return out;
  };
}

/** A node: its own parse, then its checks in zod's order, each as zod runs it on a valid value. */
function compile(node: Internals, compiled: Map<Internals, Parse>): Parse {
  const done = compiled.get(node);
  if (done) return done;
  // Set before compiling the children, so that a schema that refers to itself ends (through zod).
  compiled.set(node, byZod(node));
  const parse = parseOf(node, compiled);
  const checks: Check[] = [...(node.traits.has("$ZodCheck") ? [{ _zod: node } as Check] : []), ...(node.def.checks ?? [])];
  const full: Parse =
    checks.length === 0
      ? parse
      : (value) => {
          const parsed = parse(value);
          if (parsed === GIVE_UP) return GIVE_UP;
          const payload: Payload = { value: parsed, issues: [] };
          for (const check of checks) {
            const when = check._zod.def.when;
            if (when && !when(payload)) continue;
            if (check._zod.check(payload) instanceof Promise || payload.issues.length > 0) return GIVE_UP;
          }
          return payload.value;
        };
  compiled.set(node, full);
  return full;
}

/** The fast path of a schema: its output for a value it accepts, else GIVE_UP. */
export function fastPathOf(schema: z.ZodType): (value: unknown) => unknown {
  return compile(internals(schema), new Map());
}

/** `schema.safeParse`, answered by the fast path whenever it accepts the value, else by zod. */
export function withFastPath<S extends z.ZodType>(schema: S): (value: unknown) => z.ZodSafeParseResult<z.output<S>> {
  let fast: ((value: unknown) => unknown) | null = null;
  return (value) => {
    fast ??= fastPathOf(schema); // on first use: no work at the Worker's startup
    const out = fast(value);
    return out === GIVE_UP ? schema.safeParse(value) : { success: true, data: out as z.output<S> };
  };
}
