import { createRoute, z } from "@hono/zod-openapi";

/** What the vault's routes share: the env, the common fields, the shape of a POST route. */
export interface VaultEnv {
  Variables: { requestId: string };
}

export const keyring = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/);
export const context = z.string().max(255).default("");
export const encrypted = z.string().min(1).max(4096);
/** What a ciphertext seals (src/vault/ciphertext.ts SealPurpose): a caller's value, or a private key the vault made. */
export const purpose = z.enum(["value", "keyPair"]);

export function post<T extends z.ZodType, R extends z.ZodType>(path: string, body: T, response: R, description: string) {
  return createRoute({
    method: "post",
    path,
    description,
    security: [{ serviceToken: [] }],
    request: { body: { required: true, content: { "application/json": { schema: body } } } },
    responses: { 200: { description: "OK", content: { "application/json": { schema: response } } } },
  });
}
