// The query parameters of GET /clients (API.md §7), as a zod schema for the OpenAPI document.
// The route (src/routes/clients.list.ts) parses the query by hand, with its own messages; the
// bounds here are checked against it by test/openapi/live.test.ts.
import * as z from "zod";

export const listQuery = z.strictObject({
  limit: z.int().min(1).max(200).default(20).describe("Page size, 1–200"),
  cursor: z.string().optional().describe("Opaque: the `nextCursor` of the previous page, passed back exactly. A bad cursor is a 400."),
  externalId: z.string().min(1).max(255).optional().describe("Only the client with this externalId"),
});
