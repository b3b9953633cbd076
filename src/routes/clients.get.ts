// GET /clients/{id}: the full client (API.md §4.1), with its ETag.
import * as z from "zod";
import { clientGraphRead } from "../db/clients-read";
import { etagOf, fullClient } from "../db/mappers";
import { readWithKey } from "../http/auth";
import { notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { clientIdParams } from "../schemas/list-query";
import { clientResponse, etagHeader } from "../schemas/responses";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "GET",
  path: "/clients/{id}",
  permissions: ["clients:read"],
  params: clientIdParams,
  async handler(request, { params }) {
    const graph = await readWithKey(request, clientGraphRead(request.db, request.tenant, params.id));
    if (!graph) throw notFound(`Client ${params.id} not found`);
    const client = fullClient(graph, new Date());
    return json(client, { headers: { etag: await etagOf(client) } });
  },
  doc: {
    operationId: "getClient",
    summary: "Get a client",
    description: "The full client with its addresses, contact methods, bank accounts, documents and links (API.md §7).",
    response: { description: "The full client.", schema: clientResponse, headers: z.object({ ETag: etagHeader }) },
    errors: { BAD_REQUEST: `A malformed id, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS, NOT_FOUND: "No such client for this tenant." },
  },
});

