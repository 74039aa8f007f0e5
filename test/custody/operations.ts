import type { Harness, Response } from "../harness.ts";

export type Version = "v1" | "v2";
export const VERSIONS: Version[] = ["v1", "v2"];

/**
 * Calls one of Keyhold's own operations (src/api/operation.ts) in either version: v1 reads as a
 * GET with the fields as query text, everything else as a POST. `data` is the answer without
 * its envelope (v2's `data`; for a v1 list, the items field).
 */
export async function callOperation(
  h: Harness,
  version: Version,
  operation: string,
  input: Record<string, unknown>,
  token: string,
  options: { read?: boolean; list?: string } = {},
): Promise<Response & { data: any }> {
  const path = `/${version}/${operation}`;
  const res =
    version === "v1" && options.read
      ? await h.get(path, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)])), token)
      : await h.post(path, input, token);
  const data = version === "v2" ? res.body?.data : options.list ? res.body?.[options.list] : res.body;
  return { ...res, data };
}

/** The next page's cursor in either version's envelope. */
export function nextCursor(version: Version, res: Response): string | undefined {
  return version === "v2" ? res.body.pagination?.cursor : res.body.cursor;
}
