import * as z from "zod";
import { bankAccountOut } from "../db/mappers";
import type { BankAccountRow } from "../db/schema";
import { clabeBankCode, clabePlazaCode, clabeProblems } from "../validators/mexico";
import { countryCode, fieldError, text } from "./common";
import { childItemKeys, primaryFlag, type ChildKind } from "./child";

export const BANK_ACCOUNT_TYPES = ["checking", "savings", "investment", "other"] as const;

const threeDigits = z.string().regex(/^\d{3}$/, { message: "Must be 3 digits" });

export const bankAccountItem = z.strictObject({
  ...childItemKeys,
  accountNumber: text(34).optional(),
  bankName: text(255).optional(),
  bankCode: text(64).nullable().optional(),
  country: countryCode.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: "Must be an ISO 4217 code: 3 upper-case letters" }).optional(),
  type: z.enum(BANK_ACCOUNT_TYPES).optional(),
  isActive: z.boolean().optional(),
  label: text(255).nullable().optional(),
  clabe: z
    .string()
    .superRefine((clabe, ctx) => clabeProblems(clabe).forEach((message) => ctx.addIssue({ code: "custom", message })))
    .nullable()
    .optional(),
  codigoBanco: threeDigits.nullable().optional(),
  codigoPlaza: threeDigits.nullable().optional(),
}).meta({
  id: "BankAccountInput",
  description:
    "A bank account item (API.md §4.4): `accountNumber`, `bankName` and `currency` are required when creating; a CLABE's " +
    "check digit must verify, and it fills `codigoBanco` and `codigoPlaza`.",
});

export type BankAccountItem = z.infer<typeof bankAccountItem>;

export const bankAccountKind: ChildKind<BankAccountRow, BankAccountItem> = {
  list: "bankAccounts",
  noun: "bank account",
  item: bankAccountItem,
  fields: [
    "accountNumber",
    "bankName",
    "bankCode",
    "country",
    "currency",
    "type",
    "isPrimary",
    "isActive",
    "label",
    "externalId",
    "metadata",
    "clabe",
    "codigoBanco",
    "codigoPlaza",
  ],
  newRow: (common) => ({
    ...common,
    accountNumber: "",
    bankName: "",
    currency: "",
    bankCode: null,
    country: "MX",
    type: "checking",
    isPrimary: false,
    isActive: true,
    label: null,
    metadata: {},
    clabe: null,
    codigoBanco: null,
    codigoPlaza: null,
  }),
  requiredOnCreate: ["accountNumber", "bankName", "currency"],
  nullMeans: { metadata: {} },
  complete(row, item, _created, path) {
    if (!row.clabe) {
      // A CLABE cleared by this item takes the codes read from it along, unless the item sets them.
      if (Object.hasOwn(item, "clabe")) {
        for (const key of ["codigoBanco", "codigoPlaza"] as const) if (!Object.hasOwn(item, key)) row[key] = null;
      }
      return [];
    }
    if (row.country !== "MX") {
      return [fieldError([...path, "clabe"], "invalid_clabe", `A CLABE is only for Mexican accounts (country MX), not ${row.country}`)];
    }
    const errors = [];
    const derived = { codigoBanco: clabeBankCode(row.clabe), codigoPlaza: clabePlazaCode(row.clabe) };
    for (const key of ["codigoBanco", "codigoPlaza"] as const) {
      // Given in the item: it must agree with the CLABE. Not given: it follows the CLABE.
      if (Object.hasOwn(item, key) && item[key] !== null && item[key] !== derived[key]) {
        errors.push(fieldError([...path, key], "clabe_mismatch", `${key} ${String(item[key])} contradicts the CLABE, whose ${key} is ${derived[key]}`));
      } else {
        row[key] = derived[key];
      }
    }
    return errors;
  },
  ...primaryFlag(() => "bankAccount"),
  out: bankAccountOut,
};
