// The four child kinds, by list, each with its own row and item types.
import type { AddressRow, BankAccountRow, ContactMethodRow, DocumentRow } from "../db/schema";
import { addressKind, type AddressItem } from "./address";
import { bankAccountKind, type BankAccountItem } from "./bank-account";
import type { ChildKind, ListName } from "./child";
import { contactMethodKind, type ContactMethodItem } from "./contact-method";
import { documentKind, type DocumentItem } from "./document";

/** The row each list stores. */
export interface ChildRowOf {
  addresses: AddressRow;
  contactMethods: ContactMethodRow;
  bankAccounts: BankAccountRow;
  documents: DocumentRow;
}

/** What an item of each list says. */
export interface ChildItemOf {
  addresses: AddressItem;
  contactMethods: ContactMethodItem;
  bankAccounts: BankAccountItem;
  documents: DocumentItem;
}

/**
 * Every list's rows, and a request's items of every list: a ClientGraph and a SyncRequest are
 * these, and indexed by a generic list name they keep that list's types.
 */
export type ChildRowLists = { [L in ListName]: readonly ChildRowOf[L][] };
export type ChildItemLists = { [L in ListName]?: readonly ChildItemOf[L][] };

/** The kind of list `L`. */
export type KindOf<L extends ListName> = ChildKind<ChildRowOf[L], ChildItemOf[L]>;

/** Each list's kind. Indexed by a generic list name, it keeps that list's row and item types. */
export const CHILD_KIND: { [L in ListName]: KindOf<L> } = {
  addresses: addressKind,
  contactMethods: contactMethodKind,
  bankAccounts: bankAccountKind,
  documents: documentKind,
};

/** Any one of the four kinds (what iterating over them gives). */
export type AnyChildKind = { [L in ListName]: KindOf<L> }[ListName];

/** The four child lists, in the order the API lists them. */
export const CHILD_KINDS: readonly AnyChildKind[] = [addressKind, contactMethodKind, bankAccountKind, documentKind];
