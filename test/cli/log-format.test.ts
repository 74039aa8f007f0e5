import { afterAll, expect, test } from "vitest";
import { type Served, killAll, serve, tempDataDir } from "./processes.ts";

afterAll(killAll);

/** A real `keyhold serve` with its stdout on a pipe (not a terminal): what it prints, after one request and SIGTERM. */
async function output(env: Record<string, string>, keyInPath: string): Promise<string> {
  const server: Served = await serve({ KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "info", ...env });
  expect((await fetch(`${server.url}/v1/keys.verifyKey/${keyInPath}`)).status).toBe(404);
  expect((await fetch(`${server.url}/v1/liveness`)).status).toBe(200);
  server.child.kill("SIGTERM");
  expect(await server.exited).toEqual({ code: 0, signal: null });
  return server.stdout();
}

test("LOG_FORMAT=pretty prints readable lines (redacted) even on a pipe; unset, a pipe gets JSON lines", { timeout: 120_000 }, async () => {
  const key = "sk_3ZbEwq9XkLmN2pQ7rS5tUvW8yA";
  const [pretty, plain] = await Promise.all([output({ LOG_FORMAT: "pretty" }, key), output({}, key)]);
  const logLines = (out: string) => out.split("\n").filter((line) => /^(\{|\d\d:\d\d:\d\d )/.test(line));

  const readable = logLines(pretty);
  expect(readable.length).toBeGreaterThan(3);
  expect(readable.filter((line) => line.startsWith("{"))).toEqual([]);
  expect(readable.some((line) => /^\d\d:\d\d:\d\d INFO {2}Keyhold listening on http:\/\/127\.0\.0\.1:\d+ /.test(line))).toBe(true);
  expect(readable.some((line) => / INFO {2}request .*path=\/v1\/keys\.verifyKey\/\[redacted\] status=404/.test(line))).toBe(true);
  expect(readable.some((line) => / INFO {2}request .*path=\/v1\/liveness status=200/.test(line))).toBe(true);

  const json = logLines(plain);
  expect(json.length).toBeGreaterThan(3);
  const records = json.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records.find((r) => r.msg === "request" && r.status === 404)).toMatchObject({ path: "/v1/keys.verifyKey/[redacted]" });
  for (const out of [pretty, plain]) expect(out).not.toContain(key);
});
