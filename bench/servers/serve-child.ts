import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";

/** What a child reports when asked: its memory, and whatever the server adds (cache counters). */
export interface ChildStats {
  rss: number;
  heapUsed: number;
  /** User + system CPU time of the process so far, in microseconds. */
  cpuMicros: number;
  [extra: string]: unknown;
}

export type ChildMessage = { type: "ready"; ports: number[] } | { type: "stats"; id: number; stats: ChildStats };
type ParentMessage = { type: "stats"; id: number; gc?: boolean } | { type: "stop" };

export function childConfig<T>(): T {
  const raw = process.env.BENCH_CHILD_CONFIG;
  if (!raw || !process.send) throw new Error("this file is a bench child: start it through bench/children.ts");
  return JSON.parse(raw) as T;
}

/**
 * Serves each app on 127.0.0.1 with a free port, tells the parent the ports over IPC,
 * answers stats requests, and exits when told to stop or when the parent goes away.
 */
export async function serveChild(
  apps: { fetch: (request: Request) => Response | Promise<Response> }[],
  options: { stats?: () => Record<string, unknown>; close?: () => Promise<void> } = {},
): Promise<void> {
  const servers: ServerType[] = [];
  // Handlers still running after the load generator hung up (a run just ended): wait for them before closing the database.
  let inFlight = 0;
  const counted = (fetch: (request: Request) => Response | Promise<Response>) => async (request: Request) => {
    inFlight++;
    try {
      return await fetch(request);
    } finally {
      inFlight--;
    }
  };
  const ports = await Promise.all(
    apps.map(
      (app) =>
        new Promise<number>((resolve) => {
          servers.push(serve({ fetch: counted(app.fetch), hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve(info.port)));
        }),
    ),
  );
  const exit = async () => {
    // Let requests still in flight (a load run just ended) finish before the database goes.
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    const http = servers as unknown as { closeIdleConnections(): void; closeAllConnections(): void }[];
    for (const server of http) server.closeIdleConnections();
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 3000))]);
    for (const server of http) server.closeAllConnections();
    for (let waited = 0; inFlight > 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    await options.close?.().catch(() => {});
    process.exit(0);
  };
  process.on("message", (message: ParentMessage) => {
    if (message.type === "stop") void exit();
    if (message.type === "stats") {
      if (message.gc) globalThis.gc?.(); // children run with --expose-gc (children.ts)
      const { rss, heapUsed } = process.memoryUsage();
      const cpu = process.cpuUsage();
      send({ type: "stats", id: message.id, stats: { rss, heapUsed, cpuMicros: cpu.user + cpu.system, ...options.stats?.() } });
    }
  });
  process.on("disconnect", () => void exit());
  send({ type: "ready", ports });
}

function send(message: ChildMessage): void {
  process.send!(message);
}
