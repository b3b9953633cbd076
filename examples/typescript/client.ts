// The generated TypeScript client (README "Use it from your backend"), compiled under tsc --strict and
// run against the Worker by test/openapi/backend-examples.node.test.ts. The types come from the
// served document:  npx openapi-typescript "$CLIENTS_API_URL/openapi.json" -o api.d.ts
// Run: CLIENTS_API_URL=http://localhost:8787 CLIENTS_API_KEY=sk_test_… node client.ts
import createClient from "openapi-fetch";
import type { paths } from "./api";

const api = createClient<paths>({
  baseUrl: process.env.CLIENTS_API_URL ?? "http://localhost:8787",
  headers: { Authorization: `Bearer ${process.env.CLIENTS_API_KEY}`, "X-Environment": "test" }, // once, for every call
});

const { data, error } = await api.POST("/clients/sync", {
  body: { client: { type: "individual", name: "Ana", lastName: "Gómez", externalId: "crm-1001", nationalities: ["MX"] } },
});
if (error) throw new Error(`${error.status} ${error.code}: ${error.detail} ${JSON.stringify(error.errors)}`);
const got = await api.GET("/clients/{id}", { params: { path: { id: data.client.id } } });
console.log(data.action, got.data?.name, got.response.headers.get("etag"));
