import { randomBytes } from "node:crypto";
import postgres from "postgres";

/**
 * A new, empty database on the given PostgreSQL server, for one test file or one bench
 * run, and the function that drops it (forcibly: connections left open don't block it).
 * Free of vitest, so the benchmarks use it too.
 */
export async function createThrowawayDatabase(serverUrl: string, prefix = "keyhold_test"): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await again.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await again.end();
      }
    },
  };
}
