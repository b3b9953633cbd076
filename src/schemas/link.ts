import * as z from "zod";
import { metadata, uuid } from "./common";
import { clientInput } from "./client";

export const RELATIONSHIP_TYPES = ["legal_representative", "controlling_beneficiary", "guarantor"] as const;

/** A `linkedClients` item of a sync (API.md §6, Links). */
export const linkItem = z
  .strictObject({
    clientId: uuid.optional(),
    child: clientInput.optional(),
    relationshipType: z.enum(RELATIONSHIP_TYPES).nullable().optional(),
    metadata: metadata.nullable().optional(),
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
