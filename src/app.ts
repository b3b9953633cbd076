// Wiring: the router built from the operation list (src/routes/index.ts), the middleware each
// operation needs, the 404/405 fallback, HEAD wherever GET is (RFC 9110 §9.3.2), and `OPTIONS *`.
import { Router, type RequestHandler } from "itty-router";
import type { Env } from "./env";
import { keyCheckedFirst, TenantMoved, withApiKey, withDatabaseSession, withEnvironment } from "./http/auth";
import type { ApiRequest, WorkerOptions } from "./http/context";
import { readOnBehalfOf } from "./http/actor";
import { ApiError } from "./http/errors";
import { parseInput } from "./http/input";
import { rateLimitKindOf, withRateLimit } from "./http/rate-limit";
import { handleError, lastResort, loggerOf, withoutBodyForHead, withRequestId, withRequestIdHeader } from "./http/pipeline";
import { OPERATIONS } from "./routes";
import type { Operation } from "./routes/operation";

type Handler = RequestHandler<ApiRequest, [Env, ExecutionContext]>;

/** The path as itty-router matches it: `/clients/{id}` → `/clients/:id`. */
const routerPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");
const isLiteral = (operation: Operation) => !operation.path.includes("{");

function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/\{\w+\}/g, "[^/]+")}/?$`);
}

/** The methods of some operations, with HEAD wherever GET is. */
function methodsOf(operations: readonly Operation[]): string[] {
  return [...new Set(operations.flatMap((o) => (o.method === "GET" ? ["GET", "HEAD"] : [o.method])))];
}

function fallback(request: ApiRequest): never {
  const path = new URL(request.url).pathname;
  const matching = OPERATIONS.filter((o) => pathPattern(o.path).test(path));
  // A literal path (/clients/batch) is not also an id (/clients/{id}).
  const literal = matching.filter(isLiteral);
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
  return new Response(null, { status: 204, headers: { allow: [...methodsOf(OPERATIONS), "OPTIONS"].join(", ") } });
}

export function createApp(options: WorkerOptions = {}) {
  const answerError = handleError(options);
  const router = Router<ApiRequest, [Env, ExecutionContext]>({
    before: [withRequestId, answerServerOptions],
    // A moved tenant's request leaves the router, to be run again on its shard (below).
    catch: ((error: unknown, request: ApiRequest) => {
      if (error instanceof TenantMoved) throw error;
      return answerError(error, request);
    }) as (error: unknown, request: unknown) => Response,
    finally: [withRequestIdHeader, withoutBodyForHead],
  });
  const session = withDatabaseSession(options);
  const register = (operation: Operation) => {
    const guards: Handler[] = operation.permissions
      ? [withEnvironment, withApiKey(...operation.permissions), session, withRateLimit(rateLimitKindOf(operation.method), options)]
      : [];
    const handle = async (request: ApiRequest, env: Env) => operation.handler(request, await parseInput(operation, request), env);
    const run: Handler = operation.permissions
      ? (request, env, ctx) => {
          request.background = { ctx, queue: env.EVENTS_QUEUE, log: loggerOf(options), locks: env.CLIENT_WRITE_LOCKS };
          return keyCheckedFirst(request, () => {
            readOnBehalfOf(request);
            return handle(request, env);
          });
        }
      : handle;
    for (const method of methodsOf([operation])) router[method.toLowerCase()]!(routerPath(operation.path), ...guards, run);
  };
  // Literal paths first, each closed by a 405, so that GET /clients/batch is a 405, not a bad id.
  const literal = OPERATIONS.filter(isLiteral);
  literal.forEach(register);
  for (const path of new Set(literal.map((o) => o.path))) router.all(path, fallback);
  OPERATIONS.filter((o) => !isLiteral(o)).forEach(register);
  router.all("*", fallback);
  return {
    fetch: async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
      // The key check found the tenant moved to another shard (API.md §17) before anything was
      // read or written; the request runs again, now going there (http/auth.ts remembers where).
      // Twice at most: a tenant moved again meanwhile is found on the next request.
      for (let run = 1; ; run++) {
        try {
          return await router.fetch(request as unknown as ApiRequest, env, ctx);
        } catch (error) {
          if (error instanceof TenantMoved && run < 3) continue;
          if (error instanceof TenantMoved) return answerError(new ApiError("SERVICE_UNAVAILABLE", "This tenant is being moved between databases; retry after Retry-After seconds", undefined, { "retry-after": "5" }), request as unknown as ApiRequest);
          return lastResort(error, request, options);
        }
      }
    },
  };
}
