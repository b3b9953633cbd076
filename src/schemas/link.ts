import * as z from "zod";
import { metadata, uuid } from "./common";
import { clientInput } from "./client";

export const RELATIONSHIP_TYPES = ["legal_representative", "controlling_beneficiary", "guarantor"] as const;

/** A `linkedClients` item of a sync (API.md §6, Links). */
export const linkItem = z.strictObject({
  clientId: uuid.optional(),
  child: clientInput.optional(),
  relationshipType: z.enum(RELATIONSHIP_TYPES).nullable().optional(),
  metadata: metadata.nullable().optional(),
  _delete: z.boolean().optional(),
});

export type LinkItem = z.infer<typeof linkItem>;
