// DELETE /clients/{id} (API.md §7): the client, its children and every link touching it; the clients
// it was linked to stay. The handler is the write path's (src/write/delete.ts).
import * as z from "zod";
import { clientIdParams } from "../schemas/list-query";
import { onBehalfOfHeader } from "../schemas/requests";
import { deleteResponse } from "../schemas/responses";
import { deleteClient } from "../write/delete";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "DELETE",
  path: "/clients/{id}",
  permissions: ["clients:delete"],
  params: clientIdParams,
  handler: (request, { params }) => deleteClient(request, params.id),
  doc: {
    operationId: "deleteClient",
    summary: "Delete a client",
    description:
      "Deletes the client, its children and every link that touches it from the API; the clients it was linked to stay (API.md §7). " +
      "What the client was stays in its history (API.md §11) for the retention period, readable with `clients:history`.",
    headers: z.object({ "X-On-Behalf-Of": onBehalfOfHeader }),
    response: { description: "The client was deleted.", schema: deleteResponse },
    errors: { BAD_REQUEST: `A malformed id, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS, NOT_FOUND: "No such client for this tenant." },
  },
});
