// DELETE /clients/{id}: the client, its children and every link touching it, in one batch, with
// the history entries that keep what it was (API.md §7, §11). Clients it was linked to stay; their
// graphs changed, so their versions move and their own entries record the removed link.
import { clientDeletionRead, clientStillExists, deleteClientGraph, type ClientDeletion } from "../db/clients";
import { isForeignKeyViolation, isStaleGraph, isUniqueViolation } from "../db/constraints";
import { deleteDrafts } from "../history/drafts";
import type { ApiRequest } from "../http/context";
import { notFound } from "../http/errors";
import { runWrite, type WriteOperation } from "./runner";

/** Attempts at read → delete; a client deleted in between refuses the batch, and the next read then answers 404. */
const MAX_DELETE_ATTEMPTS = 3;

/** `id`: the path's client id, parsed by the operation's schema (src/routes/clients.delete.ts). */
export async function deleteClient(request: ApiRequest, id: string) {
  const { db } = request;
  const operation: WriteOperation<ClientDeletion | null> = {
    read: () => clientDeletionRead(db, request.tenant, id),
    async decide(deletion) {
      if (!deletion) throw notFound(`Client ${id} not found`);
      return {
        answer: { status: 200, headers: {}, body: JSON.stringify({ id, deleted: true }) },
        writes: [...clientStillExists(db, request.tenantId, id), ...deleteClientGraph(db, request.tenantId, deletion)],
        record: { operation: "delete", at: new Date().toISOString(), drafts: deleteDrafts(deletion.graph, deletion.incoming), heads: deletion.heads },
      };
    },
    // Deleted meanwhile (the guard), linked to meanwhile (the client's foreign key), or changed
    // meanwhile (its entry, or a parent's, lost the race for its sequence): read again.
    raced: (error) => isStaleGraph(error) || isForeignKeyViolation(error) || isUniqueViolation(error, "client_history"),
    attempts: MAX_DELETE_ATTEMPTS,
    conflict: (attempts) => `The client changed concurrently ${attempts} times while it was deleted; nothing was deleted, retry the request`,
  };
  return runWrite(request, operation, null);
}
