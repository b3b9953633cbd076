// The API reference of /docs: Scalar (window.Scalar, from /docs/scalar.js) renders this service's
// OpenAPI document. Everything that would reach another origin is off: the default fonts, telemetry,
// the AI agent and the request proxy ("Try it" calls this origin directly).
Scalar.createApiReference("#reference", {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  hideClientButton: true,
  showDeveloperTools: "never",
  documentDownloadType: "json",
  persistAuth: false,
  defaultOpenAllTags: true,
  expandAllResponses: true,
  orderRequiredPropertiesFirst: true,
});
