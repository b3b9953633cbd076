// GET /docs: the API reference, Scalar's renderer (public/docs/, a Workers static asset; the renderer
// is copied from node_modules by scripts/docs-assets.mjs) drawing GET /openapi.json in the browser.
// Every request reaches the Worker first (wrangler.toml: run_worker_first), so these pages carry a
// request id and answer HEAD, 404 and 405 like every other path.
import * as z from "zod";
import type { Env } from "../env";
import { notFound } from "../http/errors";
import { operation } from "./operation";

/** The static assets binding (wrangler.toml `[assets]`). */
interface AssetsEnv {
  ASSETS?: Fetcher;
}

// The page runs only its own scripts, and talks to this origin alone: nothing from a CDN.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A file of public/ (a static asset), or a 404. */
export async function asset(request: Request, env: Env, path: string): Promise<Response> {
  const assets = (env as Env & AssetsEnv).ASSETS;
  const response = assets ? await assets.fetch(new Request(new URL(path, request.url))) : null;
  if (!response?.ok) throw notFound(`No route for ${new URL(request.url).pathname}`);
  return response;
}

export const docsPage = operation({
  method: "GET",
  path: "/docs",
  async handler(request, _input, env) {
    const page = await asset(request, env, "/docs/index.html");
    const headers = new Headers(page.headers);
    headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
    headers.set("cache-control", "no-cache");
    return new Response(page.body, { status: 200, headers });
  },
});

export const docsFile = operation({
  method: "GET",
  path: "/docs/{file}",
  params: z.strictObject({ file: z.string() }),
  handler: (request, { params }, env) => asset(request, env, `/docs/${params.file}`),
});
