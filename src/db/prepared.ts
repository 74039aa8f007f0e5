import { type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Database } from "./client.ts";
import { rowsOf } from "./execute-rows.ts";

/**
 * A statement built once per database handle, for `.prepare(name)` statements: unprepared,
 * drizzle rebuilds the SQL on every call and postgres.js sends it unnamed (describe, then
 * execute: two round trips and a parse per call). Keyed weakly, so a closed handle's go with it.
 */
export function preparedPerHandle<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let statement = built.get(db);
    if (!statement) built.set(db, (statement = build(db)));
    return statement;
  };
}

const dialect = new PgDialect();

/**
 * A raw statement (`sql` with `sql.placeholder(...)` for its values) prepared by name, as
 * `.prepare(name)` does for the query builder: `db.execute` has no such option, and sends
 * every call unnamed. Answers the rows, from either driver (see execute-rows.ts).
 */
export function preparedSql<T = Record<string, unknown>>(name: string, query: SQL): (db: Database) => { execute(values: Record<string, unknown>): Promise<T[]> } {
  const built = dialect.sqlToQuery(query);
  return preparedPerHandle((db) => {
    const statement = db._.session.prepareQuery(built, undefined, name, false);
    return { execute: async (values) => rowsOf<T>(await statement.execute(values)) };
  });
}
