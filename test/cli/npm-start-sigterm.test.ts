import { readFileSync, readdirSync } from "node:fs";
import { Agent } from "node:http";
import { afterAll, expect, inject, test } from "vitest";
import { createTestDatabase } from "../harness.ts";
import { type Outcome, killAll, liveness, post, serve, sleep, tempDataDir, verifyOnce } from "./processes.ts";

let dropDatabase = async () => {};
let group = 0;
afterAll(async () => {
  // killAll() skips a child that has exited; an orphaned server would still be in npm's group.
  if (group) for (const pid of processesInGroup(group)) process.kill(pid, "SIGKILL");
  await killAll();
  await dropDatabase();
});

const CONNECTIONS = 10;
const PER_CONNECTION = 20;
const SIGNAL_AFTER = 30;

/** Pids of the live processes in process group `pgid` (read from /proc: field 5 of stat). */
function processesInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
      if (fields[0] !== "Z" && Number(fields[2]) === pgid) pids.push(Number(entry));
    } catch {} // gone meanwhile
  }
  return pids;
}

/**
 * What systemd, a supervisor or `docker stop` does to an `npm start` service: SIGTERM to the
 * npm process alone (not its group), under load. The server must get it and shut down
 * gracefully (every request it accepted answered), and nothing of it may outlive npm:
 * within 10 s no process of the group is left and the port refuses.
 */
test("SIGTERM to `npm start` under load reaches the server: no accepted request fails, no process left after 10 s", { timeout: 120_000 }, async () => {
  const env: Record<string, string> = { KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "info" };
  if (inject("postgresUrl")) {
    const db = await createTestDatabase(inject("postgresUrl"));
    env.DATABASE_URL = db.url;
    dropDatabase = db.dropDatabase;
  }
  const server = await serve(env, ["npm", "start", "--silent"]);
  const npmPid = server.child.pid!; // leads its own group (see serve())
  group = npmPid;
  const rootKey = server.stdout().match(/kh_root_\w+/)![0];
  const { apiId } = (await post(server.url, "/v1/apis.createApi", { name: "npm-start" }, rootKey)).body;
  const { key } = (await post(server.url, "/v1/keys.createKey", { apiId }, rootKey)).body;
  expect(processesInGroup(npmPid).length).toBeGreaterThanOrEqual(2); // npm and the server (and whatever they start)

  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const outcomes: Outcome[] = [];
  let signalledAt = 0;
  const worker = async () => {
    for (let i = 0; i < PER_CONNECTION; i++) {
      outcomes.push(await verifyOnce(agent, server.url, key));
      if (!signalledAt && outcomes.filter((o) => "status" in o).length >= SIGNAL_AFTER) {
        signalledAt = performance.now();
        process.kill(npmPid, "SIGTERM"); // npm alone, as a process manager does
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();

  // Nothing of it may be left 10 s after the signal.
  let left = processesInGroup(npmPid);
  while (left.length > 0 && performance.now() - signalledAt < 10_000) {
    await sleep(100);
    left = processesInGroup(npmPid);
  }
  const answered = outcomes.filter((o): o is { status: number; at: number } => "status" in o);
  const failed = outcomes.filter((o): o is { error: string; at: number } => "error" in o);
  console.log(`[keyhold] SIGTERM to npm start after ${SIGNAL_AFTER} answers: ${answered.length} answered, ${failed.length} not accepted; processes left after ${Math.round(performance.now() - signalledAt)} ms: ${left.length}`);
  expect(signalledAt).toBeGreaterThan(0);
  expect(left).toEqual([]);
  expect(await liveness(server.url)).toBeNull(); // the port is free: nobody answers
  expect(answered.every((o) => o.status === 200)).toBe(true);
  for (const f of failed) expect(["ECONNREFUSED", "ECONNRESET", "EPIPE"]).toContain(f.error);
  // Every verify the server accepted (it logs each when answering) reached its client.
  const records = server.stdout().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records.filter((r) => r.msg === "request" && r.route === "/v1/keys.verifyKey" && r.service === undefined).length).toBe(answered.length);
  expect(server.stderr()).toContain("SIGTERM received, finishing in-flight requests");
  expect(await server.exited).toEqual({ code: 0, signal: null });
});
