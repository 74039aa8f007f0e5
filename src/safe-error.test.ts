import { DrizzleQueryError } from "drizzle-orm/errors";
import { expect, test } from "vitest";
import { safeError, scrubSecrets } from "./safe-error.ts";

const secret = "kh_root_4dgzrNP3Je5mU1tmX8uLbd";
const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

test("a driver error keeps its type, code and frames but loses its query parameters", () => {
  // What drizzle throws for a failed postgres.js query: parameters in the message and in `params`.
  const cause = Object.assign(new Error('relation "no_such_table" does not exist'), { name: "PostgresError", code: "42P01", parameters: [hash, secret] });
  const error = new DrizzleQueryError("select * from no_such_table where hash = $1 and key = $2", [hash, secret], cause);
  expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).toContain(hash); // what a plain serializer logs
  const safe = safeError(error);
  const logged = JSON.stringify(safe);
  expect(logged).not.toContain(hash);
  expect(logged).not.toContain(secret);
  expect(safe).toMatchObject({ type: "DrizzleQueryError", message: "Failed query: select * from no_such_table where hash = $1 and key = $2" });
  expect(safe.cause).toMatchObject({ type: "PostgresError", code: "42P01" });
  expect(safe.stack).toMatch(/^\s+at /);
});

test("secret-looking runs are scrubbed from messages; words and snake_case identifiers stay", () => {
  expect(scrubSecrets(`bad key ${secret} for hash ${hash}`)).toBe("bad key [redacted] for hash [redacted]");
  expect(scrubSecrets("relation __drizzle_migrations does not exist")).toBe("relation __drizzle_migrations does not exist");
  expect(scrubSecrets("v1.dek_abc.SGVsbG8gV29ybGQhIQ")).toBe("[redacted]");
});

test("non-errors and detail fields are not passed through", () => {
  expect(safeError("Key (hash)=(abc) exists")).toEqual({ type: "string", message: "(a thrown non-Error value)" });
  const e = Object.assign(new Error("duplicate key value violates unique constraint \"keys_hash_unique\""), {
    code: "23505",
    detail: `Key (hash)=(${hash}) already exists.`,
    constraint_name: "keys_hash_unique",
  });
  const safe = safeError(e);
  expect(JSON.stringify(safe)).not.toContain(hash);
  expect(safe).toMatchObject({ code: "23505", constraint: "keys_hash_unique" });
});
