// `cloudflare:workers` for the Node profile bundle (bench/profile/profile.ts): only what src/ imports.
export class DurableObject {
  constructor(readonly ctx: unknown, readonly env: unknown) {}
}
export const env = {};
