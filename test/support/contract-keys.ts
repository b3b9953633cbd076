// The key order of each body of API.md §4, transcribed here from the contract for the tests to
// compare answers with. Deliberately NOT derived from src/entities.ts (the declaration the mappers
// render from): a test that checked the answers against the code's own declaration could not fail
// when that declaration is wrong. test/foundation/entity-keys.test.ts checks every entity's answer.

/** API.md §4.1: the full client. */
export const FULL_CLIENT_KEYS = [
  "id", "type", "name", "middleName", "lastName", "isPrimary", "nationalities", "scopes", "externalId", "metadata",
  "birthDate", "age", "scopeData", "employment", "email", "phone", "createdAt", "updatedAt", "addresses",
  "contactMethods", "bankAccounts", "documents", "linkedClients", "riskAssessments", "tags",
];
/** API.md §4.1: a client's own keys, `id` through `updatedAt` (the `client` of a link). */
export const CLIENT_OWN_KEYS = FULL_CLIENT_KEYS.slice(0, FULL_CLIENT_KEYS.indexOf("updatedAt") + 1);
/** API.md §4.1: an element of `linkedClients`. */
export const LINK_KEYS = ["id", "relationshipType", "client", "metadata", "createdAt", "updatedAt"];
/** API.md §4.2: the input keys, then what the output adds. */
export const ADDRESS_KEYS = [
  "id", "clientId", "type", "isPrimary", "street", "city", "state", "postalCode", "country", "externalId", "metadata",
  "scopeData", "createdAt", "updatedAt",
];
/** API.md §4.3. */
export const CONTACT_METHOD_KEYS = [
  "id", "clientId", "type", "value", "isPrimary", "label", "externalId", "metadata", "isVerified", "verifiedAt",
  "createdAt", "updatedAt",
];
/** API.md §4.4. */
export const BANK_ACCOUNT_KEYS = [
  "id", "clientId", "accountNumber", "bankName", "bankCode", "country", "currency", "type", "isPrimary", "isActive",
  "label", "externalId", "metadata", "clabe", "codigoBanco", "codigoPlaza", "createdAt", "updatedAt",
];
/** API.md §4.5. */
export const DOCUMENT_KEYS = [
  "id", "clientId", "type", "category", "expiresAt", "externalId", "metadata", "fields", "filename", "contentType", "size",
  // sha256 and uploadedAt: API.md §15 (the upload of the document's file).
  "status", "sha256", "uploadedAt", "verifiedAt", "verifiedBy", "rejectionReason", "reviewedAt", "reviewedBy", "createdAt", "updatedAt",
];
