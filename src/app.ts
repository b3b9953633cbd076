// Wiring: the route table, the middleware each route needs, the 404/405 fallback, HEAD wherever
// GET is (RFC 9110 §9.3.2), and `OPTIONS *`.
import { Router, type RequestHandler } from "itty-router";
import type { Env } from "./env";
import { withApiKey, withEnvironment } from "./http/auth";
import type { ApiRequest, WorkerOptions } from "./http/context";
import { ApiError } from "./http/errors";
import type { Permission } from "./http/keys";
import { handleError, lastResort, withoutBodyForHead, withRequestId, withRequestIdHeader } from "./http/pipeline";
import { createClients } from "./write/batch";
import { deleteClient } from "./write/delete";
import { getClient } from "./routes/clients.get";
import { listClients } from "./routes/clients.list";
import { syncClient } from "./write/sync";
import { getDocs } from "./routes/docs";
import { getOpenApi } from "./routes/openapi";
import { describeProblem } from "./routes/problems";

type Handler = RequestHandler<ApiRequest, [Env, ExecutionContext]>;

interface Route {
  method: "GET" | "POST" | "DELETE";
  path: string;
  handler: Handler;
  /** Permissions the API key needs; routes without it are public and need no environment. */
  permissions?: Permission[];
}

export const ROUTES: Route[] = [
  { method: "POST", path: "/clients/batch", handler: createClients, permissions: ["clients:create"] },
  { method: "POST", path: "/clients/sync", handler: syncClient, permissions: ["clients:create", "clients:update"] },
  { method: "GET", path: "/clients", handler: listClients, permissions: ["clients:read"] },
  { method: "GET", path: "/clients/:id", handler: getClient, permissions: ["clients:read"] },
  { method: "DELETE", path: "/clients/:id", handler: deleteClient, permissions: ["clients:delete"] },
  { method: "GET", path: "/problems/:slug", handler: describeProblem },
  { method: "GET", path: "/openapi.json", handler: getOpenApi },
  { method: "GET", path: "/docs", handler: getDocs },
];

function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/:\w+/g, "[^/]+")}/?$`);
}

/** The methods of some routes, with HEAD wherever GET is. */
function methodsOf(routes: readonly Route[]): string[] {
  return [...new Set(routes.flatMap((r) => (r.method === "GET" ? ["GET", "HEAD"] : [r.method])))];
}

function fallback(request: ApiRequest): never {
  const path = new URL(request.url).pathname;
  const matching = ROUTES.filter((r) => pathPattern(r.path).test(path));
  // A literal path (/clients/batch) is not also an id (/clients/:id).
  const literal = matching.filter((r) => !r.path.includes(":"));
  const allowed = methodsOf(literal.length > 0 ? literal : matching);
  if (allowed.length === 0) throw new ApiError("NOT_FOUND", `No route for ${path}`);
  throw new ApiError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}`, undefined, {
    allow: allowed.join(", "),
  });
}

// `OPTIONS *` (RFC 9110 §9.3.7) asks about the server itself: the methods it takes. workerd hands
// the asterisk-form target over as a URL whose host ends in "*" ("http://example.com*/"); no real
// host does.
function answerServerOptions(request: ApiRequest): Response | undefined {
  if (request.method !== "OPTIONS" || !new URL(request.url).host.endsWith("*")) return undefined;
  return new Response(null, { status: 204, headers: { allow: [...methodsOf(ROUTES), "OPTIONS"].join(", ") } });
}

export function createApp(options: WorkerOptions = {}) {
  const router = Router<ApiRequest, [Env, ExecutionContext]>({
    before: [withRequestId, answerServerOptions],
    catch: handleError(options) as (error: unknown, request: unknown) => Response,
    finally: [withRequestIdHeader, withoutBodyForHead],
  });
  const environment = withEnvironment(options);
  const register = (route: Route) => {
    const middleware: Handler[] = route.permissions ? [environment, withApiKey(...route.permissions)] : [];
    for (const method of methodsOf([route])) router[method.toLowerCase()]!(route.path, ...middleware, route.handler);
  };
  // Literal paths first, each closed by a 405, so that GET /clients/batch is a 405, not a bad id.
  const literal = ROUTES.filter((r) => !r.path.includes(":"));
  literal.forEach(register);
  for (const path of new Set(literal.map((r) => r.path))) router.all(path, fallback);
  ROUTES.filter((r) => r.path.includes(":")).forEach(register);
  router.all("*", fallback);
  return {
    fetch: async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
      try {
        return await router.fetch(request as unknown as ApiRequest, env, ctx);
      } catch (error) {
        return lastResort(error, request, options);
      }
    },
  };
}
