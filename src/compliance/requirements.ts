// What a complete expediente holds, per scope and client type (API.md §16), written ONCE, as data:
// the evaluator (./evaluate.ts) reads these rows, and docs/REQUIREMENTS.md is rendered from them
// (`npm run docs:requirements`; test/compliance/requirements-doc.node.test.ts checks the committed
// file equals the render). Each row names its legal source; where the source could not be verified
// against the DOF text, `sourceNote` says so — a row is never presented as surer than it is.
//
// A scope answers to its own rows and to those of the scopes above it (`PARENT`): MX:AV:INM is
// MX:AV:INM + MX:AV + MX + base. Rows are not legal advice: they are what this service checks.
//
// No imports: `npm run docs:requirements` runs this file in Node as it is. The scope and client type
// lists are the schemas' (src/schemas/client.ts), which src/compliance/evaluate.ts checks at compile time.

export type Scope =
  | "base"
  | "MX"
  | "MX:AV"
  | "MX:AV:ARI"
  | "MX:AV:AVI"
  | "MX:AV:INM"
  | "MX:AV:JYS"
  | "MX:AV:MJR"
  | "MX:AV:MPC"
  | "MX:AV:TSC"
  | "MX:AV:VEH"
  | "MX:CNBV"
  | "MX:CNBV:TRANSMISOR";
export type ClientType = "individual" | "company" | "trust";

/** The scope whose requirements a scope also has (base has none above it). */
export const PARENT: Readonly<Record<Scope, Scope | null>> = {
  base: null,
  MX: "base",
  "MX:AV": "MX",
  "MX:AV:ARI": "MX:AV",
  "MX:AV:AVI": "MX:AV",
  "MX:AV:INM": "MX:AV",
  "MX:AV:JYS": "MX:AV",
  "MX:AV:MJR": "MX:AV",
  "MX:AV:MPC": "MX:AV",
  "MX:AV:TSC": "MX:AV",
  "MX:AV:VEH": "MX:AV",
  "MX:CNBV": "MX",
  "MX:CNBV:TRANSMISOR": "MX:CNBV",
};

/** The ownership a beneficiario controlador must reach (LFPIORPI art. 3 fr. III as reformed, DOF 16 Jul 2025). */
export const BENEFICIAL_OWNERSHIP_THRESHOLD_PERCENT = 25;

/** How a row is checked against the client's graph. */
export type Check =
  /** The client field at `pointer` is set: not null, not a blank string, not an empty list. */
  | { kind: "field" }
  /** At least one address. */
  | { kind: "address" }
  /** At least one contact method of one of these types. */
  | { kind: "contact"; types: readonly ("email" | "phone" | "mobile")[] }
  /** A document of one of these categories whose file is uploaded (§15) and which is not expired. */
  | { kind: "document"; categories: readonly ("identity" | "address" | "incorporation" | "tax")[] }
  /** A linked client with this relationship type. */
  | { kind: "link"; relationshipType: "legal_representative" }
  /**
   * Linked `controlling_beneficiary` individuals whose declared ownership (the link's
   * `metadata.ownershipPercent`) reaches the threshold, each itself complete for the scope.
   */
  | { kind: "beneficiaries"; thresholdPercent: number };

export interface Requirement {
  /** Stable id, shown as `requirement` in a `missing` item. */
  id: string;
  /** The client types the row applies to. */
  appliesTo: readonly ClientType[];
  /** Only for an individual whose nationalities include MX. */
  onlyMexicanNationals?: true;
  /** Where in the client's representation the data lives (JSON Pointer). */
  pointer: string;
  /** What is required, in words (Spanish legal term in italics in the docs). */
  description: string;
  check: Check;
  /** The legal source. */
  source: string;
  /** What is unclear about the source, if anything. */
  sourceNote?: string;
}

const ALL: readonly ClientType[] = ["individual", "company", "trust"];
const ENTITIES: readonly ClientType[] = ["company", "trust"];
const INDIVIDUAL: readonly ClientType[] = ["individual"];

const LFPIORPI_18_I = "LFPIORPI art. 18 fr. I (identificar al cliente y verificar su identidad con documentación oficial; conservar copia)";
const RCG_ANEXO_PF =
  "RCG (Reglas de Carácter General de la LFPIORPI) art. 12 y Anexo de identificación de personas físicas nacionales o extranjeras residentes";
const RCG_ANEXO_PM = "RCG art. 12 y Anexo de identificación de personas morales";
const RCG_ANEXO_FID = "RCG art. 12 y Anexo de identificación de fideicomisos";
const ANEXO_NUMBER_NOTE = "Sources disagree on the Anexo's number (3 or 4 for personas físicas); not checked against the DOF text.";
const DISPOSICIONES_TRANSMISORES =
  "Disposiciones de carácter general del art. 95 Bis LGOAAC aplicables a los transmisores de dinero (DOF 17 Dec 2009; reformed DOF 9 Mar 2017 and 5 Apr 2023), identificación del usuario";
const DISPOSICIONES_NOTE = "The numbered disposición was not retrieved; the list follows secondary sources (the financial-sector identification list).";

/** The vulnerable activity of each MX:AV sub-scope: its fraction of LFPIORPI art. 17. */
const VULNERABLE_ACTIVITIES: readonly { scope: Scope; key: string; fraction: string; activity: string }[] = [
  { scope: "MX:AV:JYS", key: "JYS", fraction: "I", activity: "juegos con apuesta, concursos y sorteos" },
  { scope: "MX:AV:TSC", key: "TSC", fraction: "II", activity: "tarjetas de servicios, de crédito, prepagadas" },
  { scope: "MX:AV:MPC", key: "MPC", fraction: "IV", activity: "mutuo, préstamos o créditos" },
  { scope: "MX:AV:INM", key: "INM", fraction: "V", activity: "construcción, desarrollo e intermediación de inmuebles" },
  { scope: "MX:AV:MJR", key: "MJR", fraction: "VI", activity: "metales preciosos, piedras preciosas, joyas o relojes" },
  { scope: "MX:AV:ARI", key: "ARI", fraction: "VII", activity: "subasta o comercialización de obras de arte" },
  { scope: "MX:AV:VEH", key: "VEH", fraction: "VIII", activity: "comercialización de vehículos aéreos, marítimos o terrestres" },
  { scope: "MX:AV:AVI", key: "AVI", fraction: "XVI", activity: "activos virtuales" },
];

const activityRows = (scope: Scope): Requirement[] => {
  const activity = VULNERABLE_ACTIVITIES.find((a) => a.scope === scope)!;
  const rows: Requirement[] = [
    {
      id: `${scope}.activity`,
      appliesTo: ALL,
      pointer: `/scopeData/MX/actividadVulnerable/${activity.key}`,
      description: `The client is declared under this vulnerable activity (${activity.activity}): scopeData.MX.actividadVulnerable.${activity.key} is set`,
      check: { kind: "field" },
      source: `LFPIORPI art. 17 fr. ${activity.fraction} (${activity.activity})`,
      sourceNote:
        activity.key === "JYS" || activity.key === "TSC" || activity.key === "MPC"
          ? "Which fraction the scope code stands for is our reading of the code; confirm with the product owner."
          : undefined,
    },
  ];
  if (activity.key === "AVI") {
    rows.push({
      id: `${scope}.username`,
      appliesTo: ALL,
      pointer: "/scopeData/MX/actividadVulnerable/AVI/username",
      description: "The client's user name (account) on the virtual-asset platform",
      check: { kind: "field" },
      source: "RCG, identification of clients of activos virtuales (art. 17 fr. XVI)",
      sourceNote: "No rule text was found naming the user name; kept because the API's AVI scope data carries it. Unverified.",
    });
  }
  return rows;
};

export const REQUIREMENTS: Readonly<Record<Scope, readonly Requirement[]>> = {
  base: [
    {
      id: "base.name",
      appliesTo: ALL,
      pointer: "/name",
      description: "Name (nombre; denominación o razón social)",
      check: { kind: "field" },
      source: LFPIORPI_18_I,
    },
    {
      id: "base.lastName",
      appliesTo: INDIVIDUAL,
      pointer: "/lastName",
      description: "Last name (apellido paterno)",
      check: { kind: "field" },
      source: LFPIORPI_18_I,
    },
    {
      id: "base.address",
      appliesTo: ALL,
      pointer: "/addresses",
      description: "At least one address (domicilio)",
      check: { kind: "address" },
      source: LFPIORPI_18_I,
    },
    {
      id: "base.identityDocument",
      appliesTo: INDIVIDUAL,
      pointer: "/documents",
      description: "An identity document (identificación oficial) whose file is uploaded and which is not expired",
      check: { kind: "document", categories: ["identity"] },
      source: LFPIORPI_18_I,
    },
    {
      id: "base.incorporationDocument",
      appliesTo: ENTITIES,
      pointer: "/documents",
      description:
        "The constituting document (acta constitutiva; for a trust, the contrato de fideicomiso), category incorporation, file uploaded, not expired",
      check: { kind: "document", categories: ["incorporation"] },
      source: LFPIORPI_18_I,
    },
  ],
  MX: [
    {
      id: "MX.birthDate",
      appliesTo: INDIVIDUAL,
      pointer: "/birthDate",
      description: "Date of birth (fecha de nacimiento)",
      check: { kind: "field" },
      source: RCG_ANEXO_PF,
      sourceNote: ANEXO_NUMBER_NOTE,
    },
    {
      id: "MX.nationality",
      appliesTo: ALL,
      pointer: "/nationalities",
      description: "Nationality (nacionalidad), at least one",
      check: { kind: "field" },
      source: `${RCG_ANEXO_PF}; ${RCG_ANEXO_PM}`,
      sourceNote: ANEXO_NUMBER_NOTE,
    },
    {
      id: "MX.rfc",
      appliesTo: ALL,
      pointer: "/scopeData/MX/rfc",
      description: "RFC con homoclave",
      check: { kind: "field" },
      source: `${RCG_ANEXO_PF}; ${RCG_ANEXO_PM}; ${RCG_ANEXO_FID}`,
      sourceNote:
        "The RCG ask for the RFC of an individual 'cuando cuente con él'; this service requires it for every client of the MX scope. " +
        ANEXO_NUMBER_NOTE,
    },
    {
      id: "MX.curp",
      appliesTo: INDIVIDUAL,
      onlyMexicanNationals: true,
      pointer: "/scopeData/MX/curp",
      description: "CURP (for an individual whose nationalities include MX)",
      check: { kind: "field" },
      source: RCG_ANEXO_PF,
      sourceNote: "Asked 'cuando cuente con ella'; required here for Mexican nationals. " + ANEXO_NUMBER_NOTE,
    },
    {
      id: "MX.proofOfAddress",
      appliesTo: ALL,
      pointer: "/documents",
      description: "Proof of address (comprobante de domicilio), category address, file uploaded, not expired",
      check: { kind: "document", categories: ["address"] },
      source: `${RCG_ANEXO_PF}; ${RCG_ANEXO_PM}`,
      sourceNote: "The RCG require a copy of the comprobante de domicilio; its age (usually ≤ 3 months) is left to the document's expiresAt.",
    },
    {
      id: "MX.legalRepresentative",
      appliesTo: ENTITIES,
      pointer: "/linkedClients",
      description: "A linked legal_representative (representante legal o apoderado; for a trust, the delegado fiduciario)",
      check: { kind: "link", relationshipType: "legal_representative" },
      source: `${RCG_ANEXO_PM}; ${RCG_ANEXO_FID}`,
      sourceNote: "The representative's own completeness is not checked (only the beneficiaries' is).",
    },
    {
      id: "MX.controllingBeneficiaries",
      appliesTo: ENTITIES,
      pointer: "/linkedClients",
      description:
        `Linked controlling_beneficiary individuals (beneficiario controlador) whose declared ownership (link metadata.ownershipPercent) ` +
        `reaches ${BENEFICIAL_OWNERSHIP_THRESHOLD_PERCENT} %, each itself complete for the scope`,
      check: { kind: "beneficiaries", thresholdPercent: BENEFICIAL_OWNERSHIP_THRESHOLD_PERCENT },
      source:
        "LFPIORPI art. 3 fr. III (beneficiario controlador: persona física, 25 % o más del capital o de los derechos de voto) and art. 18 fr. III, as reformed DOF 16 Jul 2025 (in force 17 Jul 2025)",
      sourceNote:
        "Control without ownership (influencia significativa, the administrador as fallback) is not modelled: such a client cannot be complete here yet.",
    },
  ],
  "MX:AV": [
    {
      id: "MX:AV.activity",
      appliesTo: ALL,
      pointer: "/metadata/actividadEconomica",
      description: "Occupation, profession, activity or line of business (actividad u ocupación; giro): metadata.actividadEconomica",
      check: { kind: "field" },
      source: "LFPIORPI art. 18 fr. II (solicitar información sobre su actividad u ocupación)",
      sourceNote: "The API has no occupation field: the documented key is metadata.actividadEconomica (a non-blank string).",
    },
    {
      id: "MX:AV.contact",
      appliesTo: ALL,
      pointer: "/contactMethods",
      description: "A telephone number or an e-mail address",
      check: { kind: "contact", types: ["email", "phone", "mobile"] },
      source: `${RCG_ANEXO_PF}; ${RCG_ANEXO_PM}`,
      sourceNote: "Asked 'en su caso'; required here. " + ANEXO_NUMBER_NOTE,
    },
  ],
  "MX:AV:ARI": activityRows("MX:AV:ARI"),
  "MX:AV:AVI": activityRows("MX:AV:AVI"),
  "MX:AV:INM": activityRows("MX:AV:INM"),
  "MX:AV:JYS": activityRows("MX:AV:JYS"),
  "MX:AV:MJR": activityRows("MX:AV:MJR"),
  "MX:AV:MPC": activityRows("MX:AV:MPC"),
  "MX:AV:TSC": activityRows("MX:AV:TSC"),
  "MX:AV:VEH": activityRows("MX:AV:VEH"),
  "MX:CNBV": [
    {
      id: "MX:CNBV.activity",
      appliesTo: ALL,
      pointer: "/metadata/actividadEconomica",
      description: "Occupation, profession or activity (ocupación, profesión, actividad o giro): metadata.actividadEconomica",
      check: { kind: "field" },
      source: DISPOSICIONES_TRANSMISORES,
      sourceNote: DISPOSICIONES_NOTE,
    },
    {
      id: "MX:CNBV.contact",
      appliesTo: ALL,
      pointer: "/contactMethods",
      description: "A telephone number or an e-mail address",
      check: { kind: "contact", types: ["email", "phone", "mobile"] },
      source: DISPOSICIONES_TRANSMISORES,
      sourceNote: DISPOSICIONES_NOTE,
    },
  ],
  "MX:CNBV:TRANSMISOR": [
    {
      id: "MX:CNBV:TRANSMISOR.numeroCuenta",
      appliesTo: ALL,
      pointer: "/scopeData/MX/cnbv/TRANSMISOR/numeroCuenta",
      description: "The user's account number with the transmisor (scopeData.MX.cnbv.TRANSMISOR.numeroCuenta)",
      check: { kind: "field" },
      source: `${DISPOSICIONES_TRANSMISORES}; reportes de operaciones (número de cuenta)`,
      sourceNote: "Kept because the API's TRANSMISOR scope data carries it and CNBV reports name an account; the rule text was not retrieved.",
    },
    {
      id: "MX:CNBV:TRANSMISOR.claveSujetoObligado",
      appliesTo: ALL,
      pointer: "/scopeData/MX/cnbv/TRANSMISOR/claveSujetoObligado",
      description: "The transmisor's own key as obligated entity (clave del sujeto obligado) on the record",
      check: { kind: "field" },
      source: "CNBV reporting formats for transmisores (clave del sujeto obligado)",
      sourceNote: "A reporting field rather than an identification requirement; unverified as a rule of the expediente.",
    },
  ],
};

/** The scopes a scope answers to, from base down to itself. */
export function scopeChain(scope: Scope): Scope[] {
  const chain: Scope[] = [];
  for (let s: Scope | null = scope; s !== null; s = PARENT[s]) chain.unshift(s);
  return chain;
}

/** Every row a client of `type` answers to in `scope` (its own and its parents'), base first. */
export function requirementsOf(scope: Scope, type: ClientType): Requirement[] {
  return scopeChain(scope).flatMap((s) => REQUIREMENTS[s].filter((r) => r.appliesTo.includes(type)));
}
