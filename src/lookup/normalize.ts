// How an identifier is normalized for its lookup key (API.md §14). The same rules are written in
// SQL in db/lookup-keys.ts (keys are computed from the stored rows, in the write batch, and by the
// backfill of migrations/0006_lookup_keys.sql): these functions mirror SQLite's upper()/lower()/
// trim(), which change ASCII only, so that a value sent to POST /clients/lookup meets its key.

import { normalizeRfc } from "../validators/mexico";

export const LOOKUP_KINDS = ["rfc", "curp", "clabe", "accountNumber", "email", "phone", "externalId", "metadata"] as const;
export type LookupKind = (typeof LOOKUP_KINDS)[number];

/** Where a key comes from: the client's own fields, or one of its children. */
export type MatchedOn = "client" | "bankAccount" | "contactMethod";
export const MATCHED_ON: Record<LookupKind, MatchedOn> = {
  rfc: "client",
  curp: "client",
  externalId: "client",
  metadata: "client",
  clabe: "bankAccount",
  accountNumber: "bankAccount",
  email: "contactMethod",
  phone: "contactMethod",
};

const asciiUpper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());
const asciiLower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
/** SQLite's trim(x): spaces only. */
const trimSpaces = (s: string) => s.replace(/^ +| +$/g, "");

/** RFC, CURP, CLABE, account number: upper case, without spaces, dots or dashes. */
export const normalizeCode = (value: string) => asciiUpper(value.replace(/[ .-]/g, ""));
/** E-mail: lower case, trimmed. */
export const normalizeEmail = (value: string) => asciiLower(trimSpaces(value));
/** Separators a phone value may hold (API.md §4.3), and tab / line breaks. */
const PHONE_SEPARATORS = /[ +.\-()\t\n\r]/g;
/** Phone: its digits, without a leading Mexican 52 (12 digits) or 521 (13 digits). */
export function normalizePhone(value: string): string {
  const digits = value.replace(PHONE_SEPARATORS, "");
  if (digits.length === 13 && digits.startsWith("521")) return digits.slice(3);
  if (digits.length === 12 && digits.startsWith("52")) return digits.slice(2);
  return digits;
}

export function normalize(kind: LookupKind, value: string): string {
  switch (kind) {
    case "rfc":
    case "curp":
      // As stored (validators/mexico.ts normalizeRfc: ñ → Ñ too); SQL's upper() then leaves it.
      return normalizeRfc(value.replace(/[ .-]/g, ""));
    case "clabe":
    case "accountNumber":
      return normalizeCode(value);
    case "email":
      return normalizeEmail(value);
    case "phone":
      return normalizePhone(value);
    case "externalId":
    case "metadata":
      return value;
  }
}
