import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { type Agent, request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Real `keyhold` processes for CLI tests: bounded waits, and every child is killed by `killAll()`. */
export const root = fileURLToPath(new URL("../..", import.meta.url));
export const bin = join(root, "bin/keyhold.mjs");

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** The environment a child sees: ours without Keyhold's variables, plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ["PORT", "HOST", "DATABASE_URL", "KEYHOLD_DATA_DIR", "LOG_LEVEL", "LOG_FORMAT", "VAULT_URL", "VAULT_PORT", "KEYHOLD_URL", "KEYHOLD_PUBLIC_URL", "KEYHOLD_ROOT_KEY"]) delete base[name];
  return { ...base, NODE_ENV: "test", ...env };
}

export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-cli-"));
  dirs.push(dir);
  return dir;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `keyhold <args>` to completion (killed after `timeoutMs`). `stdin`: text written to it
 * and then closed, or null for none at all (/dev/null); left out, stdin is a pipe kept open.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000, stdin?: string | null): Promise<Run> {
  const child = track(spawn(process.execPath, [bin, ...args], { cwd: root, env: childEnv(env), stdio: [stdin === null ? "ignore" : "pipe", "pipe", "pipe"] }));
  if (typeof stdin === "string") child.stdin!.end(stdin);
  const out = collect(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout(), stderr: out.stderr() });
    });
  });
}

export interface Served {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn until /v1/liveness answered 200. */
  startMs: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a server (`node bin/keyhold.mjs serve`, or any command line) and waits until it
 * answers /v1/liveness. The child leads its own process group, so `npm start` and
 * everything under it can be signalled together.
 */
export async function serve(env: Record<string, string>, command: string[] = [process.execPath, bin, "serve"], timeoutMs = 45_000): Promise<Served> {
  const port = env.PORT ?? String(await freePort());
  const started = performance.now();
  const vaultPort = env.VAULT_PORT ?? String(await freePort()); // serve runs the vault too
  const child = track(spawn(command[0]!, command.slice(1), { cwd: root, env: childEnv({ ...env, PORT: port, VAULT_PORT: vaultPort }), detached: true }));
  const out = collect(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  while (performance.now() - started < timeoutMs && !gone) {
    if ((await liveness(url)) === 200) {
      return { child, url, startMs: Math.round(performance.now() - started), stdout: out.stdout, stderr: out.stderr, exited };
    }
    await sleep(100);
  }
  signalGroup(child, "SIGKILL");
  throw new Error(`server did not answer in ${timeoutMs} ms\nstdout: ${out.stdout()}\nstderr: ${out.stderr()}`);
}

export async function liveness(url: string): Promise<number | null> {
  try {
    const res = await fetch(`${url}/v1/liveness`, { signal: AbortSignal.timeout(2000) });
    return res.status;
  } catch {
    return null;
  }
}

export async function post(url: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

/** Signals the child's whole process group (npm, sh, node, esbuild). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {} // already gone
}

/** A port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** For afterAll: no child outlives the suite, no temp directory is left behind. */
export async function killAll(): Promise<void> {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    signalGroup(child, "SIGKILL");
    child.kill("SIGKILL"); // children that do not lead a group
  }
  children.clear();
  await sleep(200);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A request's fate: answered (with the time), or failed before an answer (with the error code). */
export type Outcome = { status: number; at: number } | { error: string; at: number };

/** One POST /v1/keys.verifyKey over `agent` (keep-alive load for shutdown tests). */
export function verifyOnce(agent: Agent, url: string, key: string): Promise<Outcome> {
  const body = JSON.stringify({ key });
  return new Promise((resolve) => {
    const req = request(`${url}/v1/keys.verifyKey`, { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, at: performance.now() }));
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ error: `response ${error.code ?? error.message}`, at: performance.now() }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, at: performance.now() }));
    req.setTimeout(15_000, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on("close", () => children.delete(child));
  return child;
}

function collect(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}
