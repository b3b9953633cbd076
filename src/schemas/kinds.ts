import { addressKind } from "./address";
import { bankAccountKind } from "./bank-account";
import type { ChildKind } from "./child";
import { contactMethodKind } from "./contact-method";
import { documentKind } from "./document";

/** The four child lists, in the order the API lists them. */
export const CHILD_KINDS = [addressKind, contactMethodKind, bankAccountKind, documentKind] as unknown as readonly ChildKind[];
