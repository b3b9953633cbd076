/** openapi-typescript's TypeScript for an OpenAPI document. */
export function typesOf(document: object): Promise<string>;
