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
  // X-Environment is a security scheme required with the key (issue 26): "Test Request" sends it,
  // prefilled with test; the key is the caller's to enter.
  authentication: {
    preferredSecurityScheme: [["ApiKey", "Environment"]],
    securitySchemes: { Environment: { value: "test" } },
  },
});
