// Compares what the model expects (with Id/Ts/Unordered placeholders) with what the service
// answered, unifying placeholders with real values: model id ↔ real id is a bijection kept for a
// whole sequence, and step → timestamp a non-decreasing function.
import { FULL_CLIENT_KEYS } from "../support/contract-keys";
import { Id, Pointers, Some, Ts, Unordered } from "./model";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export class Mismatch extends Error {}

export class Binding {
  readonly realOf = new Map<string, string>();
  readonly modelOf = new Map<string, string>();
  readonly stepTime = new Map<number, string>();

  bindId(mid: string, real: unknown, path: string) {
    if (typeof real !== "string" || !UUID.test(real)) throw new Mismatch(`${path}: expected a server id (${mid}), got ${JSON.stringify(real)}`);
    const known = this.realOf.get(mid);
    if (known !== undefined) {
      if (known !== real) throw new Mismatch(`${path}: expected the id of ${mid} (${known}), got ${real} (${this.modelOf.get(real) ?? "unknown to the model"})`);
      return;
    }
    const other = this.modelOf.get(real);
    if (other !== undefined) throw new Mismatch(`${path}: expected a new id for ${mid}, got ${real}, which is ${other}`);
    this.realOf.set(mid, real);
    this.modelOf.set(real, mid);
  }

  bindTs(step: number, real: unknown, path: string) {
    if (typeof real !== "string" || !TIMESTAMP.test(real)) throw new Mismatch(`${path}: expected a timestamp, got ${JSON.stringify(real)}`);
    const known = this.stepTime.get(step);
    if (known !== undefined) {
      if (known !== real) {
        throw new Mismatch(`${path}: expected the time of step ${step} (${known}), got ${real} — a timestamp moved (or did not) against the model`);
      }
      return;
    }
    for (const [other, time] of this.stepTime) {
      if ((other < step && time > real) || (other > step && time < real)) {
        throw new Mismatch(`${path}: step ${step} at ${real} but step ${other} at ${time}: timestamps out of order`);
      }
    }
    this.stepTime.set(step, real);
  }

  /** A real id → its model id (for sorting unordered lists); unknown ids sort last, by value. */
  sortKey(value: unknown): string {
    const id = typeof value === "string" ? value : (value as { id?: unknown } | null)?.id;
    if (typeof id !== "string") return "~";
    return this.modelOf.get(id) ?? `~${id}`;
  }
}

const modelKey = (value: unknown): string => {
  const id = value instanceof Id ? value : (value as { id?: unknown }).id;
  return id instanceof Id ? id.mid : "~";
};
const byMid = (a: string, b: string) => {
  const na = Number(a.slice(1));
  const nb = Number(b.slice(1));
  return Number.isFinite(na) && Number.isFinite(nb) && a[0] === b[0] ? na - nb : a < b ? -1 : a > b ? 1 : 0;
};

/** Throws a Mismatch at the first difference. */
export function match(expected: unknown, actual: unknown, binding: Binding, path = ""): void {
  if (expected instanceof Id) return binding.bindId(expected.mid, actual, path || "/");
  if (expected instanceof Ts) return binding.bindTs(expected.step, actual, path || "/");
  if (expected instanceof Unordered) {
    if (!Array.isArray(actual) || actual.length !== expected.items.length) {
      throw new Mismatch(`${path}: expected (in any order) ${show(expected.items)}, got ${show(actual)}`);
    }
    const exp = [...expected.items].sort((a, b) => byMid(modelKey(a), modelKey(b)));
    const act = [...actual].sort((a, b) => byMid(binding.sortKey(a), binding.sortKey(b)));
    exp.forEach((e, i) => match(e, act[i], binding, `${path}/${i}`));
    return;
  }
  if (expected instanceof Pointers) {
    const got = pointersOf(actual);
    const want = [...new Set(expected.pointers)].sort();
    if (got === null || got.join("\n") !== want.join("\n")) throw new Mismatch(`${path}: expected errors at ${show(want)}, got ${show(actual)}`);
    return;
  }
  if (expected instanceof Some) {
    if (actual === null || typeof actual !== "object") throw new Mismatch(`${path}: expected an object, got ${show(actual)}`);
    for (const [k, v] of Object.entries(expected.keys)) match(v, (actual as Record<string, unknown>)[k], binding, `${path}/${k}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(actual)}`);
    }
    expected.forEach((e, i) => match(e, actual[i], binding, `${path}/${i}`));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      throw new Mismatch(`${path}: expected an object, got ${show(actual)}`);
    }
    const ek = Object.keys(expected);
    const ak = Object.keys(actual);
    const missing = ek.filter((k) => !ak.includes(k));
    const extra = ak.filter((k) => !ek.includes(k));
    if (missing.length || extra.length) throw new Mismatch(`${path}: keys differ: missing ${show(missing)}, unexpected ${show(extra)}`);
    if (ek.includes("riskAssessments") && ak.join() !== FULL_CLIENT_KEYS.join()) {
      throw new Mismatch(`${path}: full client keys out of order: ${ak.join(",")}`);
    }
    for (const k of ek) match((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], binding, `${path}/${k}`);
    return;
  }
  if (expected !== actual) throw new Mismatch(`${path}: expected ${show(expected)}, got ${show(actual)}`);
}

/** The distinct pointers of a problem's `errors`, sorted; null when `errors` is not a list of errors. */
export function pointersOf(errors: unknown): string[] | null {
  if (!Array.isArray(errors) || !errors.every((e) => typeof e?.pointer === "string")) return null;
  return [...new Set(errors.map((e: { pointer: string }) => e.pointer))].sort();
}

export function show(value: unknown, max = 400): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Placeholders as text: equal renderings ⇔ equal model state (for the ETag invariant). */
export const canonical = (value: unknown) => JSON.stringify(value);
