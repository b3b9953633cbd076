// A tiny local webhook receiver (README, "Change events (webhooks)"): prints every event it gets and
// checks its Standard Webhooks signature, written here with node:crypto, independently of the Worker.
//
//   WEBHOOK_SECRET=whsec_… npm run webhook-receiver -- [--port 4000] [--fail 500]
//
// Answers 204 to an event whose signature verifies and whose timestamp is within 5 minutes, 400
// otherwise (the service then retries it). `--fail <status>` answers that status to everything, to
// watch retries in the endpoint's delivery log.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const TOLERANCE_SECONDS = 5 * 60;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** A wrong command line: exit 2, saying what to do. */
function usage(message: string): never {
  console.error(`npm run webhook-receiver: ${message}\nUsage: WEBHOOK_SECRET=whsec_… npm run webhook-receiver -- [--port 4000] [--fail 500]`);
  process.exit(2);
}
const port = Number(option("port") ?? 4000);
if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) usage(`--port needs a port number (1–65535), got "${option("port")}": e.g. --port 4000`);
const failWith = option("fail") === undefined ? null : Number(option("fail"));
if (failWith !== null && !(Number.isInteger(failWith) && failWith >= 200 && failWith <= 599)) {
  usage(`--fail needs an HTTP status (200–599) to answer every delivery with, got "${option("fail")}": e.g. --fail 500`);
}
const secret = process.env.WEBHOOK_SECRET ?? "";
if (!secret.startsWith("whsec_")) {
  console.error(
    "npm run webhook-receiver: WEBHOOK_SECRET is missing or not a whsec_… secret. Set it to the endpoint's secret, as POST " +
      "/webhook-endpoints answered it: WEBHOOK_SECRET=whsec_… npm run webhook-receiver",
  );
  process.exit(2);
}
const key = Buffer.from(secret.slice("whsec_".length), "base64");

/** Why a delivery does not verify, or null when it does. */
export function signatureProblem(id: string, timestamp: string, signatures: string, body: string, now = Date.now()): string | null {
  if (!id || !/^\d+$/.test(timestamp) || !signatures) return "missing webhook-id, webhook-timestamp or webhook-signature";
  if (Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return "timestamp too old or in the future (replay?)";
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  // The header may list several space-separated signatures (during a secret rotation): one must match.
  const matches = signatures.split(" ").some((candidate) => {
    const [version, encoded] = candidate.split(",", 2);
    if (version !== "v1" || !encoded) return false;
    const given = Buffer.from(encoded, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? null : "signature does not match";
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const header = (name: string) => String(request.headers[name] ?? "");
    const problem = signatureProblem(header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"), body);
    if (problem) {
      console.log(`✗ ${request.method} ${request.url} refused: ${problem}`);
      response.writeHead(400).end();
      return;
    }
    const event = JSON.parse(body) as { id: string; type: string; data: { clientId: string; sequence: number; changes: unknown[] } };
    console.log(`✓ ${event.type} client ${event.data.clientId} #${event.data.sequence} (webhook-id ${event.id}, ${event.data.changes.length} changes)`);
    console.log(JSON.stringify(event, null, 2));
    response.writeHead(failWith ?? 204).end();
  });
});

server.listen(port, () => console.log(`Receiving webhooks on http://localhost:${port}/ (signatures checked${failWith ? `; answering ${failWith} to everything` : ""})`));
