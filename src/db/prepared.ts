import type { Database } from "./client.ts";

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
