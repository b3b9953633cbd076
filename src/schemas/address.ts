import * as z from "zod";
import { addressOut } from "../db/mappers";
import type { AddressRow } from "../db/schema";
import { countryCode, fieldError, jsonObject, text } from "./common";
import { childItemKeys, primaryFlag, type ChildKind } from "./child";

export const ADDRESS_TYPES = ["home", "business", "mailing", "legal", "other"] as const;

const optionalText = text(255).nullable().optional();

export const addressScopeData = z.strictObject({
  MX: z
    .strictObject({
      exteriorNumber: optionalText,
      interiorNumber: optionalText,
      neighborhood: optionalText,
      municipality: optionalText,
      betweenStreets: optionalText,
      reference: optionalText,
      cnbv: z.strictObject({ TRANSMISOR: z.strictObject({ localidad: optionalText }).optional() }).optional(),
    })
    .optional(),
  US: jsonObject(64 * 1024).optional(),
}).meta({ id: "AddressScopeData", description: "Data of the regulatory scopes (`{}` when none)." });

export const addressItem = z.strictObject({
  ...childItemKeys,
  type: z.enum(ADDRESS_TYPES).optional(),
  street: text(255).optional(),
  city: text(255).optional(),
  state: text(255).optional(),
  postalCode: text(255).optional(),
  country: countryCode.nullable().optional(),
  scopeData: addressScopeData.nullable().optional(),
}).meta({
  id: "AddressInput",
  description: "An address item (API.md §4.2): `street`, `city`, `state` and `postalCode` are required when creating; a Mexican postal code is 5 digits.",
});

export type AddressItem = z.infer<typeof addressItem>;

export const addressKind: ChildKind<AddressRow, AddressItem> = {
  list: "addresses",
  noun: "address",
  item: addressItem,
  fields: ["type", "isPrimary", "street", "city", "state", "postalCode", "country", "externalId", "metadata", "scopeData"],
  newRow: (common) => ({
    ...common,
    type: "home",
    isPrimary: false,
    street: "",
    city: "",
    state: "",
    postalCode: "",
    country: null,
    metadata: {},
    scopeData: {},
  }),
  requiredOnCreate: ["street", "city", "state", "postalCode"],
  nullMeans: { metadata: {}, scopeData: {} },
  complete(row, _item, _created, path) {
    if (row.country === "MX" && !/^\d{5}$/.test(row.postalCode)) {
      return [fieldError([...path, "postalCode"], "invalid_postal_code", "A Mexican postal code (country MX) is 5 digits")];
    }
    return [];
  },
  ...primaryFlag(() => "address"),
  out: addressOut,
};
