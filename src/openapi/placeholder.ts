// The server URL of the document as built (public/openapi.json): GET /openapi.json puts the
// request's origin in its place. A reserved name (RFC 2606), which no real server has.
export const SERVER_URL_PLACEHOLDER = "https://server-url.invalid";
