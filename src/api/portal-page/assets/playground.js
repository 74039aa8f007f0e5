// Keyhold playground helper, served at GET /portal/playground.js (an ES module).
//
// Fills a signed-in end user's own API key into an API playground, from a Keyhold portal
// session: the first recoverable key of that user in a chosen API (portal.listKeys with
// `apiId`, then portal.revealKey). The session needs the scopes keys:read and keys:reveal.
//
//   import { playgroundKey, scalarAuthentication } from "https://keys.example.com/portal/playground.js";
//
//   // On Keyhold's origin, the portal_session cookie is the session (leave accessToken out).
//   // Elsewhere, your backend exchanges the code (portal.exchangeCode) and hands the page the
//   // access token; keyholdUrl is Keyhold's URL as the page reaches it (e.g. your own proxy).
//   const found = await playgroundKey({ keyholdUrl, accessToken, apiId: "api_…" });
//   Scalar.createApiReference("#app", {
//     url: "/openapi.json",
//     authentication: scalarAuthentication(found?.key, "bearerAuth"),
//   });
//
// Swagger UI and Redoc-style pages: see README, "Portal and playgrounds".

/**
 * The end user's recoverable key in `apiId`: `{ keyId, key, name }`, or null when they have
 * none (a key that is not recoverable is skipped, and so is one whose reveal the provider's
 * policies hold for approval: a playground does not wait). Errors carry the server's words and
 * `status`.
 * @param {{ keyholdUrl?: string, accessToken?: string, apiId: string, fetch?: typeof fetch }} options
 */
export async function playgroundKey({ keyholdUrl = "", accessToken, apiId, fetch: fetcher = globalThis.fetch.bind(globalThis) }) {
  if (!apiId) throw new TypeError("playgroundKey: apiId is required");
  const base = keyholdUrl.replace(/\/+$/, "");
  const call = async (operation, input) => {
    const headers = { "Content-Type": "application/json" };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    const res = await fetcher(`${base}/v2/portal.${operation}`, {
      method: "POST",
      headers,
      body: JSON.stringify(input),
      credentials: accessToken ? "omit" : "same-origin",
      cache: "no-store",
    });
    const answer = await res.json().catch(() => null);
    if (!res.ok) {
      const error = new Error((answer && answer.error && (answer.error.detail || answer.error.title)) || `portal.${operation} failed (HTTP ${res.status})`);
      error.status = res.status;
      throw error;
    }
    return answer;
  };
  let cursor;
  do {
    const page = await call("listKeys", cursor ? { apiId, cursor } : { apiId });
    for (const key of page.data) {
      if (!key.enabled) continue;
      try {
        const { data } = await call("revealKey", { keyId: key.keyId });
        // Held for the provider's approval (202): a playground does not wait; try the next key.
        if (data.plaintext === undefined) continue;
        return { keyId: data.keyId, key: data.plaintext, name: key.name };
      } catch (error) {
        if (error.status !== 412) throw error; // 412: not recoverable; try the next key
      }
    }
    cursor = page.pagination && page.pagination.hasMore ? page.pagination.cursor : undefined;
  } while (cursor);
  return null;
}

/**
 * Scalar's `authentication` configuration (@scalar/api-reference 1.46) with `key` as the
 * token of the HTTP bearer scheme `scheme` (its name under components.securitySchemes), or
 * the `value` of an apiKey scheme with `{ apiKey: true }`. No key: just the preferred scheme.
 * @param {string | undefined | null} key
 * @param {string} scheme
 * @param {{ apiKey?: boolean }} [options]
 */
export function scalarAuthentication(key, scheme, options = {}) {
  if (!key) return { preferredSecurityScheme: scheme };
  return { preferredSecurityScheme: scheme, securitySchemes: { [scheme]: options.apiKey ? { value: key } : { token: key } } };
}
