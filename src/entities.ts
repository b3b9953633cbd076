// The entities of API.md §4, each declared ONCE: its output keys in the contract's order, and what
// each key is. The response mappers (src/db/mappers.ts) and the test row builders
// (test/support/harness.ts) derive from these; so can the sync's merges (a child kind's `fields`
// are its `input` keys). Changing an order here changes the API's bodies (and every ETag).

/** What a key of an entity's output is. */
export type KeyRole =
  /** Assigned by the service when the row is created, never changed: `id`, `clientId`. */
  | "identity"
  /** Set by the caller's input (after validation) and stored. */
  | "input"
  /** Stored, and kept by the service alone (a contact method's verification, a document's review). */
  | "service"
  /** Computed for each answer, not stored (a client's `age`, `email`, `phone`; a link's `client`). */
  | "derived"
  /** `createdAt`, `updatedAt`. */
  | "timestamp";

export type Entity = Readonly<Record<string, KeyRole>>;

/** The output keys of an entity, in order. */
export type KeyOf<E extends Entity> = keyof E & string;
/** Its keys that have one of the roles `R`. */
export type KeyWith<E extends Entity, R extends KeyRole> = { [K in KeyOf<E>]: E[K] extends R ? K : never }[KeyOf<E>];
/** Its keys that are columns of its table (every key but the derived ones). */
export type StoredKey<E extends Entity> = KeyWith<E, Exclude<KeyRole, "derived">>;

export const keysOf = <E extends Entity>(entity: E): readonly KeyOf<E>[] => Object.keys(entity);

export const keysWith = <E extends Entity, R extends KeyRole>(entity: E, ...roles: R[]): readonly KeyWith<E, R>[] =>
  keysOf(entity).filter((key): key is KeyWith<E, R> => (roles as KeyRole[]).includes(entity[key]!));

export const storedKeys = <E extends Entity>(entity: E): readonly StoredKey<E>[] =>
  keysWith(entity, "identity", "input", "service", "timestamp");

/** A client's own keys, `id` through `updatedAt` (also the `client` of a link). */
export const CLIENT = {
  id: "identity",
  type: "input",
  name: "input",
  middleName: "input",
  lastName: "input",
  // true when created directly, false when created inline as a linked child: the service decides.
  isPrimary: "service",
  nationalities: "input",
  scopes: "input",
  externalId: "input",
  metadata: "input",
  birthDate: "input",
  age: "derived",
  scopeData: "input",
  employment: "input",
  email: "derived",
  phone: "derived",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Entity;

/** The full client: its own keys, then its graph (API.md §4.1). */
export const FULL_CLIENT = {
  ...CLIENT,
  addresses: "derived",
  contactMethods: "derived",
  bankAccounts: "derived",
  documents: "derived",
  linkedClients: "derived",
  riskAssessments: "derived",
  tags: "derived",
} as const satisfies Entity;

/** An element of `linkedClients` (API.md §4.1). */
export const LINK = {
  id: "identity",
  relationshipType: "input",
  client: "derived",
  metadata: "input",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Entity;

/** API.md §4.2. */
export const ADDRESS = {
  id: "identity",
  clientId: "identity",
  type: "input",
  isPrimary: "input",
  street: "input",
  city: "input",
  state: "input",
  postalCode: "input",
  country: "input",
  externalId: "input",
  metadata: "input",
  scopeData: "input",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Entity;

/** API.md §4.3. */
export const CONTACT_METHOD = {
  id: "identity",
  clientId: "identity",
  type: "input",
  value: "input",
  isPrimary: "input",
  label: "input",
  externalId: "input",
  metadata: "input",
  isVerified: "service",
  verifiedAt: "service",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Entity;

/** API.md §4.4. */
export const BANK_ACCOUNT = {
  id: "identity",
  clientId: "identity",
  accountNumber: "input",
  bankName: "input",
  bankCode: "input",
  country: "input",
  currency: "input",
  type: "input",
  isPrimary: "input",
  isActive: "input",
  label: "input",
  externalId: "input",
  metadata: "input",
  clabe: "input",
  codigoBanco: "input",
  codigoPlaza: "input",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Entity;

/** API.md §4.5. */
export const DOCUMENT = {
  id: "identity",
  clientId: "identity",
  type: "input",
  category: "input",
  expiresAt: "input",
  externalId: "input",
  metadata: "input",
  fields: "input",
  filename: "input",
  contentType: "input",
  size: "input",
  status: "service",
  // API.md §15: the uploaded file's lower-case hex SHA-256 and the upload's instant (null until then).
  sha256: "service",
  uploadedAt: "service",
  verifiedAt: "service",
  verifiedBy: "service",
  rejectionReason: "service",
  reviewedAt: "service",
  reviewedBy: "service",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Entity;

export const CLIENT_KEYS = keysOf(CLIENT);
export const FULL_CLIENT_KEYS = keysOf(FULL_CLIENT);
export const LINK_KEYS = keysOf(LINK);
export const ADDRESS_KEYS = keysOf(ADDRESS);
export const CONTACT_METHOD_KEYS = keysOf(CONTACT_METHOD);
export const BANK_ACCOUNT_KEYS = keysOf(BANK_ACCOUNT);
export const DOCUMENT_KEYS = keysOf(DOCUMENT);
