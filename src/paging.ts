/** The most items one list page holds (listKeys, listRootKeys). */
export const MAX_LIST_LIMIT = 100;

/**
 * A page also ends once its items reach this many bytes of JSON (always at least one item),
 * with a cursor to the rest: 100 keys of 64 KiB meta and 1000 long permission names each
 * would otherwise be a body of hundreds of MB, built in memory.
 */
export const MAX_PAGE_BYTES = 1024 * 1024;

/** The longest prefix of `rows` within MAX_PAGE_BYTES, and never empty (one large item still pages on). */
export function cutByBytes<T>(rows: T[], bytes: (row: T) => number): T[] {
  let total = 0;
  for (let n = 0; n < rows.length; n++) {
    total += bytes(rows[n]!);
    if (n > 0 && total > MAX_PAGE_BYTES) return rows.slice(0, n);
  }
  return rows;
}
