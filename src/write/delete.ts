// DELETE /clients/{id}: the client, its children and every link touching it, in one batch.
// Clients it was linked to stay; their graphs changed, so their versions move.
import { clientStillExists, clientVersionRead, deleteClientGraph, type ClientVersion } from "../db/clients";
import { isStaleGraph } from "../db/constraints";
import type { ApiRequest } from "../http/context";
import { notFound } from "../http/errors";
import { runWrite, type WriteOperation } from "./runner";

/** Attempts at read → delete; only a client deleted in between refuses the batch, and the next read then answers 404. */
const MAX_DELETE_ATTEMPTS = 3;

/** `id`: the path's client id, parsed by the operation's schema (src/routes/clients.delete.ts). */
export async function deleteClient(request: ApiRequest, id: string) {
  const { db } = request;
  const operation: WriteOperation<ClientVersion | null> = {
    read: () => clientVersionRead(db, request.tenant, id),
    async decide(client) {
      if (!client) throw notFound(`Client ${id} not found`);
      // The client must still exist when the batch runs (else another request deleted it first, and
      // this one answers 404). Its other changes meanwhile do not matter: everything of it goes.
      return {
        answer: { status: 200, headers: {}, body: JSON.stringify({ id, deleted: true }) },
        writes: [...clientStillExists(db, request.tenantId, id), ...deleteClientGraph(db, request.tenantId, id)],
        changes: [{ clientId: id, action: "deleted" }],
      };
    },
    raced: isStaleGraph,
    attempts: MAX_DELETE_ATTEMPTS,
    conflict: (attempts) => `The client changed concurrently ${attempts} times while it was deleted; nothing was deleted, retry the request`,
  };
  return runWrite(request, operation, null);
}
