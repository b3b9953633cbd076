// GET /clients/search (API.md §14): the query and the answer, as zod schemas.
import * as z from "zod";
import { CLIENT_TYPES } from "./client";

const LIMIT_MESSAGE = "limit must be an integer from 1 to 50";
/** Longest name a search takes (a client's name, middle and last names are ≤ 300 characters each). */
export const MAX_SEARCH_NAME = 300;
const NAME_MESSAGE = `name must be 1–${MAX_SEARCH_NAME} characters, with a letter or digit`;

export const searchQuery = z.strictObject({
  name: z
    .string({ error: NAME_MESSAGE })
    .max(MAX_SEARCH_NAME, { error: NAME_MESSAGE })
    .refine((s) => /[\p{L}\p{N}]/u.test(s), { error: NAME_MESSAGE })
    .meta({ minLength: 1 })
    .describe("The name as the caller has it: accents, case, word order and company suffixes (S.A. de C.V., S.A.P.I., S. de R.L.) do not matter; one typo per word is tolerated"),
  type: z.enum(CLIENT_TYPES).optional().describe("Only clients of this type"),
  limit: z
    .preprocess(
      (value) => (typeof value === "string" && /^\d{1,3}$/.test(value) ? Number(value) : value),
      z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(50, { error: LIMIT_MESSAGE }).default(10),
    )
    .describe("At most this many matches, 1–50 (default 10)"),
});

export const searchResponse = z
  .strictObject({
    data: z.array(
      z.strictObject({
        clientId: z.uuid(),
        name: z.string().describe("The client's name (with middle and last names for an individual)"),
        type: z.enum(CLIENT_TYPES),
        score: z.number().min(0).max(1).describe("How well the name matches, 1 = the same words"),
      }),
    ),
  })
  .meta({ id: "SearchResult", description: "Likely matches by name, best first (API.md §14)." });
