// GET /docs: the interactive API reference, one self-contained page (src/openapi/docs.html, bundled
// as text) that renders GET /openapi.json in the browser. Nothing is loaded from elsewhere.
import type { ApiRequest } from "../http/context";
import page from "../openapi/docs.html";

export function getDocs(_request: ApiRequest) {
  return new Response(page, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-cache",
      // The page's own inline script and style only; it talks to this origin alone.
      "content-security-policy":
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  });
}
