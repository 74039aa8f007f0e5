/**
 * What a key may carry so that it is stored exactly as sent and stays cheap to hold:
 * the rules the API schemas apply to every stored string and to `meta`.
 */

/**
 * Unkey stores `meta` as JSON text in a MySQL TEXT column, which holds 65,535 bytes: the
 * same cap here accepts every meta Unkey accepts, and bounds what one key costs in the
 * verify cache and in a listKeys page (the 1 MiB body limit alone let 200 keys take 400 MB).
 */
export const MAX_META_BYTES = 65_535;
/** Deeper JSON is refused (400) rather than overflowing a stack when it is stored (500). */
export const MAX_META_DEPTH = 64;

/**
 * Why PostgreSQL would not store `s` exactly, or null. It cannot hold U+0000, and a lone
 * UTF-16 surrogate is not Unicode: jsonb rejects it (a 500) and text silently turns it into
 * U+FFFD, so two different names would collide on a primary key.
 */
export function unstorableText(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  // String.prototype.isWellFormed: Node 20 and Workers have it; TypeScript's ES2022 lib does not declare it.
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return "must be well-formed Unicode (no lone UTF-16 surrogates)";
  return null;
}

export interface MetaProblem {
  /** Where inside `meta` (empty: meta as a whole). */
  path: (string | number)[];
  message: string;
}

/**
 * The first reason `meta` cannot be stored as sent, or null. `__proto__` is refused rather
 * than stored: JavaScript treats that one key specially (zod's record, object spreads and
 * most merge helpers drop it or turn it into a prototype), so it would silently vanish here
 * or, once served, reach the tenant's own code as a prototype-pollution vector.
 */
export function metaProblem(meta: unknown): MetaProblem | null {
  const stack: [unknown, (string | number)[]][] = [[meta, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === "string") {
      const why = unstorableText(node);
      if (why) return { path, message: why };
    }
    if (node === null || typeof node !== "object") continue;
    if (path.length >= MAX_META_DEPTH) return { path: [], message: `must be at most ${MAX_META_DEPTH} levels deep` };
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, child] of entries) {
      if (typeof key === "string") {
        if (key === "__proto__") return { path: [...path, key], message: "the key __proto__ is not accepted" };
        const why = unstorableText(key);
        if (why) return { path, message: `key ${JSON.stringify(key)} ${why}` };
      }
      stack.push([child, [...path, key]]);
    }
  }
  const bytes = jsonByteLength(meta);
  if (bytes > MAX_META_BYTES) return { path: [], message: `must be at most ${MAX_META_BYTES} bytes of JSON (got ${bytes})` };
  return null;
}

/** Bytes of `value` as UTF-8 JSON (what it weighs on the wire and, roughly, in memory). */
export function jsonByteLength(value: unknown): number {
  return value === undefined ? 0 : utf8ByteLength(JSON.stringify(value));
}

/** UTF-8 length without encoding: a surrogate pair is 4 bytes, each half counted 2 here. */
export function utf8ByteLength(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}
