// GET /clients/{id}: the full client (API.md §4.1), with its ETag.
import { runBatch } from "../db/database";
import { assembleGraphs, graphStatements, selectClientById } from "../db/graph";
import { etagOf, fullClient } from "../db/mappers";
import type { ApiRequest } from "../http/context";
import { badRequest, notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { isUuid } from "../ids";

export function clientIdParam(request: ApiRequest): string {
  const id = request.params.id ?? "";
  // The value is not echoed: a caller may have put a secret in the path by mistake.
  if (!isUuid(id)) throw badRequest("Malformed client id in the path: ids are UUIDs");
  return id.toLowerCase();
}

export async function getClient(request: ApiRequest) {
  const id = clientIdParam(request);
  const { db, tenantId } = request;
  const [graph] = assembleGraphs(await runBatch(db, graphStatements(db, tenantId, selectClientById(db, tenantId, id))));
  if (!graph) throw notFound(`Client ${id} not found`);
  const client = fullClient(graph, new Date());
  return json(client, { headers: { etag: await etagOf(client) } });
}
