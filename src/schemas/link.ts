import * as z from "zod";
import { metadata, uuid } from "./common";
import { clientInput } from "./client";

export const RELATIONSHIP_TYPES = ["legal_representative", "controlling_beneficiary", "guarantor"] as const;

/**
 * A link's metadata: free-form, except `ownershipPercent` — the declared ownership of a
 * `controlling_beneficiary` that completeness counts (API.md §16) — which, when present, is a number
 * greater than 0 and at most 100 (never a string: "25" would silently count as nothing).
 */
export const linkMetadata = metadata.superRefine((value, ctx) => {
  if (!Object.hasOwn(value, "ownershipPercent")) return;
  const percent = (value as Record<string, unknown>).ownershipPercent;
  if (typeof percent !== "number" || !(percent > 0 && percent <= 100)) {
    ctx.addIssue({ code: "custom", path: ["ownershipPercent"], message: "ownershipPercent must be a number greater than 0 and at most 100" });
  }
});

/** A `linkedClients` item of a sync (API.md §6, Links). */
export const linkItem = z
  .strictObject({
    clientId: uuid.optional(),
    child: clientInput.optional(),
    relationshipType: z.enum(RELATIONSHIP_TYPES).nullable().optional(),
    metadata: linkMetadata
      .describe("Free-form, except `ownershipPercent` (a number > 0 and ≤ 100): the declared ownership of a controlling_beneficiary (API.md §16).")
      .nullable()
      .optional(),
    _delete: z.boolean().optional(),
  })
  .meta({
    id: "LinkInput",
    description:
      "A `linkedClients` item (API.md §6, Links): `clientId` links an existing client, `child` creates (or, by its " +
      "externalId, updates) one; `_delete` removes the link only. It needs clientId, child, or both.",
    if: { not: { required: ["clientId"] } },
    then: { required: ["child"] },
  });

export type LinkItem = z.infer<typeof linkItem>;
