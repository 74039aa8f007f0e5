import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { freePort, liveness, root, signalGroup, sleep } from "../cli/processes.ts";
import { type Stage, chownShim, parseDockerfile, replay } from "./dockerfile.ts";

/**
 * No Docker engine here: the Dockerfile's own steps are replayed in a temp directory (see
 * dockerfile.ts), then the final stage is started with its CMD and ENV (ports aside) and
 * checked the way the image's HEALTHCHECK checks it. Not replayed: the base image itself
 * (this machine's Node stands in for it) and USER (files stay the test user's).
 */
const instructions = parseDockerfile(readFileSync(join(root, "Dockerfile"), "utf8"));
const work = mkdtempSync(join(tmpdir(), "keyhold-docker-"));
let final: Stage;
let child: ChildProcess | undefined;

beforeAll(() => {
  const stages = replay(instructions, { context: root, into: join(work, "fs"), shims: chownShim(join(work, "shims")) });
  final = stages.at(-1)!;
}, 600_000);

afterAll(async () => {
  if (child && child.exitCode === null) signalGroup(child, "SIGKILL");
  await sleep(200);
  rmSync(work, { recursive: true, force: true });
});

test("the image runs as a non-root user on a current Node LTS, listens on all interfaces and keeps its data in a volume", () => {
  const bases = instructions.filter((i) => i.op === "FROM").map((i) => i.args.split(/\s+/)[0]!);
  for (const image of bases) {
    const major = Number(image.match(/^node:(\d+)-/)?.[1]);
    expect(major >= 22 && major % 2 === 0, image).toBe(true);
    expect(image).toMatch(/-slim$/);
  }
  expect(final.user).toBe("node");
  expect(final.env.HOST).toBe("0.0.0.0");
  expect(final.volumes).toEqual(["/data"]);
  expect(final.env.KEYHOLD_DATA_DIR).toBe(join(final.root, "/data"));
  expect(final.healthcheck?.[0]).toBe("node"); // no curl in a slim image
  expect(existsSync(join(final.root, "/app/node_modules/@scalar/api-reference/dist/browser/standalone.js"))).toBe(true);
  // Production dependencies only: no test tooling in the runtime image.
  for (const dev of ["vitest", "wrangler", "playwright-core", "drizzle-kit"]) expect(existsSync(join(final.root, "/app/node_modules", dev)), dev).toBe(false);
  // Installed without scripts, yet with Keyhold's patch to postgres.js (patches/; test/ops/postgres-queue.test.ts).
  for (const copy of ["src", "cjs/src"]) expect(readFileSync(join(final.root, "/app/node_modules/postgres", copy, "queue.js"), "utf8"), copy).toContain("Keyhold patch");
});

test("the image's CMD serves: liveness answers, the HEALTHCHECK passes, /docs works, SIGTERM stops it cleanly", async () => {
  const cwd = join(final.root, final.workdir);
  const [port, vaultPort] = [String(await freePort()), String(await freePort())];
  const env = { PATH: process.env.PATH!, ...final.env, PORT: port, VAULT_PORT: vaultPort, LOG_LEVEL: "warn" };
  const [command, ...args] = final.cmd!;
  child = spawn(command!, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d));
  child.stderr!.on("data", (d: Buffer) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while ((await liveness(url)) !== 200) {
    if (Date.now() - started > 60_000 || child.exitCode !== null) throw new Error(`the image's CMD did not come up:\n${output}`);
    await sleep(200);
  }
  const [hc, ...hcArgs] = final.healthcheck!;
  const health = spawnSync(hc!, hcArgs, { cwd, env, timeout: 10_000 });
  expect(health.status, String(health.stderr)).toBe(0);
  expect(output).toMatch(/kh_root_/); // the first start's welcome with its root key
  const docs = await fetch(`${url}/docs`);
  expect(docs.status).toBe(200);
  expect(existsSync(join(final.env.KEYHOLD_DATA_DIR!, "pg"))).toBe(true); // data under the volume

  const exited = new Promise<number | null>((resolve) => child!.on("close", (code) => resolve(code)));
  signalGroup(child, "SIGTERM");
  expect(await exited).toBe(0);
}, 120_000);
