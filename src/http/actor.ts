// Who makes a change (API.md §11 actor): the API key (its display prefix and name, known once the
// key row is checked) and the optional X-On-Behalf-Of header — the caller's own user, e.g. the
// analyst behind the change.
import type { Actor } from "../history/entry";
import type { ApiRequest } from "./context";
import { badRequest } from "./errors";

export const ON_BEHALF_OF_MAX = 255;

/** Reads X-On-Behalf-Of into the request: 1–255 characters, else a 400. */
export function readOnBehalfOf(request: ApiRequest): void {
  const header = request.headers.get("x-on-behalf-of");
  if (header !== null && (header.length === 0 || header.length > ON_BEHALF_OF_MAX)) {
    throw badRequest(`X-On-Behalf-Of must be 1–${ON_BEHALF_OF_MAX} characters (it names the user the change is made for)`);
  }
  request.onBehalfOf = header;
}

/** The actor of a request whose key was checked. */
export function actorOf(request: ApiRequest): Actor {
  return { keyPrefix: request.keyLabel.prefix, keyName: request.keyLabel.name, onBehalfOf: request.onBehalfOf ?? null };
}
