// Validates bodies against the schemas of the OpenAPI document, with ajv (JSON Schema 2020-12, the
// dialect of OpenAPI 3.1) and its formats.
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { OperationId } from "../../src/openapi/examples";

type Json = Record<string, any>;

export function documentValidator(document: Json) {
  // Strict, but a `required` may name properties declared beside its anyOf (SyncRequest: clientId
  // or client; LinkInput: clientId or child).
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  // OpenAPI's discriminator only annotates a oneOf (the document has none since issue 26; kept so that ajv takes one).
  ajv.addKeyword({ keyword: "discriminator" });
  // The document's $refs are "#/components/schemas/X": register the components under a root that
  // holds them at that place. `components` is no JSON Schema keyword, so it is declared as one.
  ajv.addKeyword({ keyword: "components" });
  ajv.addSchema({ $id: "https://clients-api.local/openapi.json", components: document.components }, "document");

  /** The document's operation object with this operationId. */
  function operationNamed(operationId: OperationId): Json {
    for (const item of Object.values(document.paths as Json)) {
      for (const operation of Object.values(item as Json)) if ((operation as Json).operationId === operationId) return operation as Json;
    }
    throw new Error(`The document has no operation ${operationId}`);
  }

  /** The schema and media type the document gives for this operation's answer with this status. */
  function documented(operationId: OperationId, status: number) {
    const responses = operationNamed(operationId).responses as Json;
    const response = responses[String(status)];
    if (!response) throw new Error(`${operationId} does not document a ${status} response`);
    const [mediaType, content] = Object.entries(response.content as Json)[0]!;
    return { mediaType, schema: content.schema as Json };
  }

  function errorsOf(schemaRef: string, body: unknown): string[] {
    const validate = ajv.getSchema(`https://clients-api.local/openapi.json${schemaRef}`);
    if (!validate) throw new Error(`no schema ${schemaRef}`);
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }

  return {
    /** Problems with an answer: undocumented status, wrong media type, or a body off its schema. */
    check(operationId: OperationId, response: { status: number; headers: Headers; body: unknown }): string[] {
      const { mediaType, schema } = documented(operationId, response.status);
      const problems: string[] = [];
      const contentType = response.headers.get("content-type") ?? "";
      if (contentType.split(";")[0]!.trim() !== mediaType) problems.push(`content-type ${contentType}, documented ${mediaType}`);
      problems.push(...errorsOf(schema.$ref, response.body));
      return problems;
    },
    /** Errors of a body against a component schema, e.g. "#/components/schemas/Client". */
    errorsOf,
    /** Errors of a value against an inline schema without references (a parameter's, a header's). */
    errorsOfSchema(schema: Json, value: unknown): string[] {
      const validate = ajv.compile(schema);
      return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
    },
    documented,
    operationNamed,
  };
}
