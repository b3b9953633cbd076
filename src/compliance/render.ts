// docs/REQUIREMENTS.md, rendered from the requirement tables (./requirements.ts): one table per scope
// and client type, each row with its legal source. `npm run docs:requirements` writes it;
// test/compliance/requirements-doc.node.test.ts checks the committed file equals this render.
import { BENEFICIAL_OWNERSHIP_THRESHOLD_PERCENT, PARENT, REQUIREMENTS, type ClientType, type Requirement, type Scope } from "./requirements.ts";

const TYPES: readonly ClientType[] = ["individual", "company", "trust"];

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function checkText(row: Requirement): string {
  const check = row.check;
  switch (check.kind) {
    case "field":
      return "set (not null, not blank, not an empty list)";
    case "address":
      return "at least one address";
    case "contact":
      return `a contact method of type ${check.types.join(" / ")}`;
    case "document":
      return `a document of category ${check.categories.join(" / ")}, status uploaded, expiresAt null or not past`;
    case "link":
      return `a link with relationshipType ${check.relationshipType}`;
    case "beneficiaries":
      return `controlling_beneficiary individuals with link metadata.ownershipPercent ≥ ${check.thresholdPercent}, each complete for the scope`;
  }
}

export function renderRequirementsMarkdown(): string {
  const lines: string[] = [
    "# Expediente requirements (API.md §16)",
    "",
    "<!-- Rendered from src/compliance/requirements.ts by `npm run docs:requirements`: do not edit by hand. -->",
    "",
    "What `GET /clients/{id}/completeness` checks, per scope and client type. A scope also answers to the",
    "requirements of the scopes above it (its *Inherits* line). A client holding no scope answers to `base`.",
    "Documents count only when their file is uploaded (`status: \"uploaded\"`, API.md §15) and they have not expired",
    "(`expiresAt` null, or not before the date checked — today, or the `asOf` date).",
    "",
    `Controlling beneficiaries (*beneficiario controlador*): the links from a company or trust with \`relationshipType:`,
    `"controlling_beneficiary"\` to **individuals** whose link \`metadata.ownershipPercent\` (a number > 0 and ≤ 100, validated on`,
    `every write) is at least ${BENEFICIAL_OWNERSHIP_THRESHOLD_PERCENT}; at least one must exist, and each is checked against the same scope's`,
    "individual requirements (its gaps are reported under `/linkedClients/<i>/client/…`).",
    "",
    "**These rows are what this service checks, not legal advice.** Where a source could not be verified against",
    "the text published in the DOF, the row says so (*note*).",
    "",
    "Abbreviations: LFPIORPI — Ley Federal para la Prevención e Identificación de Operaciones con Recursos de",
    "Procedencia Ilícita (reformed DOF 16 Jul 2025); RCG — its Reglas de Carácter General; LGOAAC — Ley General de",
    "Organizaciones y Actividades Auxiliares del Crédito.",
    "",
  ];
  for (const scope of Object.keys(REQUIREMENTS) as Scope[]) {
    const parent = PARENT[scope];
    lines.push(`## \`${scope}\``, "");
    if (parent) lines.push(`Inherits every requirement of \`${parent}\`.`, "");
    for (const type of TYPES) {
      const rows = REQUIREMENTS[scope].filter((r) => r.appliesTo.includes(type));
      if (rows.length === 0) continue;
      lines.push(`### ${type}`, "", "| requirement | pointer | what | check | legal source |", "|---|---|---|---|---|");
      for (const row of rows) {
        const what = row.onlyMexicanNationals ? `${row.description} — only when nationalities include MX` : row.description;
        const source = row.sourceNote ? `${row.source}. *Note: ${row.sourceNote}*` : row.source;
        lines.push(`| \`${row.id}\` | \`${row.pointer}\` | ${cell(what)} | ${cell(checkText(row))} | ${cell(source)} |`);
      }
      lines.push("");
    }
    if (REQUIREMENTS[scope].length === 0) lines.push("No requirements of its own.", "");
  }
  return lines.join("\n");
}
