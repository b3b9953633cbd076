import type { ApiRequest } from "../http/context";
import { ApiError } from "../http/errors";

export async function createClients(_request: ApiRequest): Promise<Response> {
  throw new ApiError("METHOD_NOT_ALLOWED", "not yet");
}
