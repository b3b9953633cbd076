import * as z from "zod";
import { contactMethodOut } from "../db/mappers";
import type { ContactMethodRow } from "../db/schema";
import { fieldError, text } from "./common";
import { childItemKeys, primaryFlag, type ChildKind } from "./child";

export const CONTACT_TYPES = ["email", "phone", "mobile", "fax", "other"] as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_SEPARATORS = /[+\s.\-()]/g;

/** 7–15 digits once `+`, spaces, dots, dashes and parentheses are removed. */
export function looksLikePhone(value: string): boolean {
  return /^\d{7,15}$/.test(value.replace(PHONE_SEPARATORS, ""));
}

export function inferContactType(value: string): (typeof CONTACT_TYPES)[number] {
  if (value.includes("@")) return "email";
  return looksLikePhone(value) ? "phone" : "other";
}

export const contactMethodItem = z.strictObject({
  ...childItemKeys,
  type: z.enum(CONTACT_TYPES).optional(),
  value: text(320).optional(),
  label: text(255).nullable().optional(),
}).meta({
  id: "ContactMethodInput",
  description: "A contact method item (API.md §4.3): `value` is required when creating; `type` is inferred from it when absent.",
});

export type ContactMethodItem = z.infer<typeof contactMethodItem>;

export const contactMethodKind: ChildKind<ContactMethodRow, ContactMethodItem> = {
  list: "contactMethods",
  noun: "contact method",
  item: contactMethodItem,
  fields: ["type", "value", "isPrimary", "label", "externalId", "metadata"],
  // No type yet: the item gives it, or `complete` infers it from the value.
  newRow: (common) => ({
    ...common,
    type: "",
    value: "",
    isPrimary: false,
    label: null,
    metadata: {},
    isVerified: false,
    verifiedAt: null,
  }),
  requiredOnCreate: ["value"],
  nullMeans: { metadata: {} },
  complete(row, item, created, path) {
    // No value (a create without one): `required` is reported already; nothing to check it against.
    if (row.value === "") return [];
    if (created && !Object.hasOwn(item, "type")) row.type = inferContactType(row.value);
    if (row.type === "email" && !EMAIL.test(row.value)) {
      return [fieldError([...path, "value"], "invalid_email", "An email contact method must hold an email address")];
    }
    if (["phone", "mobile", "fax"].includes(row.type) && !looksLikePhone(row.value)) {
      return [
        fieldError([...path, "value"], "invalid_phone", `A ${row.type} number must hold 7–15 digits (besides + . - ( ) and spaces)`),
      ];
    }
    return [];
  },
  ...primaryFlag((row) => `contact:${row.type}`),
  out: contactMethodOut,
};
