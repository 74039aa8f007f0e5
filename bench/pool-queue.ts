import postgres from "postgres";

/**
 * postgres.js's pool under sustained load, alone: 32 concurrent `select 1` on 10 connections
 * for 8 s, queries per second each second. Patched (patches/postgres+3.4.9.patch) the figures
 * stay level; unpatched they fell from ~29k to ~7.6k within 7 s (README "Patched dependencies").
 *   npx tsx bench/pool-queue.ts [postgres-url]
 */
const url = process.argv[2] ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const sql = postgres(url, { max: 10, onnotice: () => {} });
await sql`select 1`;
let done = 0;
let stop = false;
const worker = async () => {
  while (!stop) {
    await sql`select 1`;
    done++;
  }
};
const workers = Array.from({ length: 32 }, worker);
const perSecond: number[] = [];
let last = 0;
for (let s = 1; s <= 8; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  perSecond.push(done - last);
  last = done;
  console.log(`${s} s: ${perSecond.at(-1)!.toLocaleString("en-US")} queries/s`);
}
stop = true;
await Promise.all(workers);
await sql.end({ timeout: 5 });
const [first, final] = [perSecond[0]!, perSecond.at(-1)!];
console.log(`last second / first second: ${(final / first).toFixed(2)}× (level is ~1×; the unpatched queue gave ~0.26×)`);
