// npm run docs:requirements — writes docs/REQUIREMENTS.md from the requirement tables
// (src/compliance/requirements.ts); `-- --check` exits 1 when the committed file differs.
import { readFileSync, writeFileSync } from "node:fs";
import { renderRequirementsMarkdown } from "../src/compliance/render.ts";

const target = new URL("../docs/REQUIREMENTS.md", import.meta.url);
const rendered = renderRequirementsMarkdown();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== rendered) {
    console.error("docs/REQUIREMENTS.md is not the render of src/compliance/requirements.ts: run npm run docs:requirements");
    process.exit(1);
  }
  console.log("docs/REQUIREMENTS.md is up to date");
} else {
  writeFileSync(target, rendered);
  console.log("wrote docs/REQUIREMENTS.md");
}
