// A process racing for a data dir lock (see data-dir-lock.test.ts): waits for a shared
// start instant, tries once, holds a won lock for a while, and reports on stdout.
import { acquireDataDirLock } from "../../src/db/data-dir-lock.ts";

const [dataDir, startAt, holdMs] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {} // spin: all contenders try in the same millisecond or so
try {
  const lock = acquireDataDirLock(dataDir!);
  process.stdout.write("won\n");
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  lock.release();
} catch (error) {
  process.stdout.write(`refused: ${(error as Error).message}\n`);
}
