// The request bodies of the two write endpoints.
import * as z from "zod";
import { addressItem } from "./address";
import { bankAccountItem } from "./bank-account";
import { clientInput } from "./client";
import { uuid } from "./common";
import { contactMethodItem } from "./contact-method";
import { documentItem } from "./document";
import { linkItem } from "./link";

export const MAX_ITEMS = 250;

export const batchRequest = z.strictObject({
  items: z.array(clientInput).min(1).max(MAX_ITEMS),
  atomic: z.boolean().optional(),
});

export type BatchRequest = z.infer<typeof batchRequest>;

export const syncRequest = z.strictObject({
  clientId: uuid.optional(),
  client: clientInput.optional(),
  addresses: z.array(addressItem).max(MAX_ITEMS).optional(),
  contactMethods: z.array(contactMethodItem).max(MAX_ITEMS).optional(),
  bankAccounts: z.array(bankAccountItem).max(MAX_ITEMS).optional(),
  documents: z.array(documentItem).max(MAX_ITEMS).optional(),
  linkedClients: z.array(linkItem).max(MAX_ITEMS).optional(),
  replaceMode: z.boolean().optional(),
  dryRun: z.boolean().optional(),
});

export type SyncRequest = z.infer<typeof syncRequest>;
