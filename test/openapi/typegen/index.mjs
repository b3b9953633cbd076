// openapi-typescript's output for an OpenAPI document: the `paths`/`components` types a typed client
// (openapi-fetch) is written against.
import openapiTS, { astToString } from "openapi-typescript";

export async function typesOf(document) {
  return astToString(await openapiTS(document));
}
