import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildMessage, ChildStats } from "./servers/serve-child.ts";

/** A server under test in its own process, so the load generator never shares its event loop. */
export interface Child {
  name: string;
  pid: number;
  /** One listener per app the child serves, each on 127.0.0.1 with a port the OS picked. */
  urls: string[];
  /** `{ gc: true }`: a full garbage collection first, so memory readings compare what is kept, not when V8 last collected. */
  stats(options?: { gc?: boolean }): Promise<ChildStats>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts `bench/<entry>` under tsx, handing it `config` as JSON, and waits until it listens. */
export function startChild(name: string, entry: string, config: unknown): Promise<Child> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const proc = fork(file, [], {
    // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it stops (open in Chrome DevTools).
    execArgv: ["--import", "tsx", "--expose-gc", ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, BENCH_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  running.add(proc);
  proc.once("exit", () => running.delete(proc));
  const waiting = new Map<number, (stats: ChildStats) => void>();
  let nextId = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    proc.once("exit", (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    proc.on("message", (message: ChildMessage) => {
      if (message.type === "stats") waiting.get(message.id)?.(message.stats);
      if (message.type !== "ready") return;
      clearTimeout(timer);
      resolve({
        name,
        pid: proc.pid!,
        urls: message.ports.map((port) => `http://127.0.0.1:${port}`),
        stats: (options) =>
          new Promise((done) => {
            const id = nextId++;
            waiting.set(id, done);
            proc.send({ type: "stats", id, gc: options?.gc === true });
          }),
        stop: () => stopChild(proc),
      });
    });
  });
}

function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    proc.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    proc.send({ type: "stop" });
  });
}

/** Every child still running (after a failure or Ctrl-C), stopped by its own pid. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map(stopChild));
}
