import { type SQL, getTableColumns, getTableName, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";

/**
 * A multi-row INSERT whose rows travel as one JSON parameter (`jsonb_populate_recordset`):
 * the statement's text is the same for one row or five hundred, so it can be prepared once
 * (`preparedSql`), and building it costs a JSON.stringify instead of drizzle's per-value
 * parameter binding (a batch of activity records spent a quarter of its CPU there). Every
 * column is written: a value left undefined is NULL, so rows must be complete (column
 * defaults do not apply).
 */
export interface JsonRowsInsert<T extends PgTable> {
  /** The statement, its rows read from the placeholder `placeholder` as `incoming` (a WHERE may name their columns: `incoming.api_id`). */
  statement: SQL;
  /** The placeholder's value for these rows. */
  rows(rows: readonly T["$inferInsert"][]): string;
}

export function insertJsonRows<T extends PgTable>(table: T, placeholder: string): JsonRowsInsert<T> {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name }));
  const list = sql.raw(columns.map((c) => `"${c.name}"`).join(", "));
  const type = sql.raw(`"${getTableName(table)}"`);
  return {
    statement: sql`insert into ${type} (${list}) select ${list} from jsonb_populate_recordset(null::${type}, ${sql.placeholder(placeholder)}::jsonb) as incoming`,
    rows: (rows) => {
      // Plain loops: Object.fromEntries over mapped pairs was 4% of a createKey's CPU.
      const out: Record<string, unknown>[] = [];
      for (const row of rows as readonly Record<string, unknown>[]) {
        const named: Record<string, unknown> = {};
        for (const c of columns) named[c.name] = row[c.key] ?? null;
        out.push(named);
      }
      return JSON.stringify(out);
    },
  };
}
