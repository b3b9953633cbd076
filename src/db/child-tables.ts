// The table of each child list: the planner's kinds (src/schemas) know no tables.
import type { ListName } from "../schemas/child";
import { addresses, bankAccounts, contactMethods, documents } from "./schema";

export const CHILD_TABLES = { addresses, contactMethods, bankAccounts, documents } as const satisfies Record<ListName, unknown>;
