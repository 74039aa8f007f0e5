import { connect } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { type ServerHandle, startServer } from "../../src/server.ts";
import { type VaultServer, startVaultServer } from "../../src/vault/server/start-vault.ts";
import { freePort, killAll, tempDataDir } from "../cli/processes.ts";
import { createTestDatabase } from "../harness.ts";

/** Sends `bytes` on a raw loopback connection and returns everything received until the server closes it. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("no close within 5 s")));
    socket.write(bytes);
  });
}

function parse(response: string): { status: number; headers: Record<string, string>; body: any } {
  const [head, body = ""] = response.split("\r\n\r\n");
  const [statusLine, ...lines] = head!.split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine!.split(" ")[1]), headers, body: body && JSON.parse(body) };
}

const logged: Record<string, unknown>[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => logged.push(JSON.parse(line)) });
let api: ServerHandle;
let vault: VaultServer;
let dropDatabase = async () => {};

beforeAll(async () => {
  const env: Record<string, string> = { KEYHOLD_DATA_DIR: tempDataDir(), PORT: String(await freePort()), VAULT_PORT: String(await freePort()) };
  if (inject("postgresUrl")) {
    const db = await createTestDatabase(inject("postgresUrl"));
    env.DATABASE_URL = db.url;
    dropDatabase = db.dropDatabase;
  }
  const config = loadConfig(env);
  api = await startServer(config, { logger, print: () => {} });
  vault = await startVaultServer(config, logger);
});
afterAll(async () => {
  await api?.close();
  await vault?.close();
  await killAll();
  await dropDatabase();
});

const hugeHeaders = `GET /v1/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ${"a".repeat(20_000)}\r\n\r\n`;
const smuggling = "POST /v1/keys.verifyKey HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";

test.each([
  ["headers over Node's limit", hugeHeaders, 431],
  ["Content-Length and Transfer-Encoding together", smuggling, 400],
  ["a request line that is not HTTP", "HELLO\r\n\r\n", 400],
])("%s: Node's parser refuses it, answered with the error envelope and closed", async (_, bytes, status) => {
  for (const port of [api.port, Number(new URL(vault.url).port)]) {
    const answer = parse(await raw(port, bytes));
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers.connection).toBe("close");
    expect(answer.body).toEqual({ error: { code: "BAD_REQUEST", message: expect.any(String), docs: "/docs/errors#BAD_REQUEST", requestId: answer.headers["x-request-id"] } });
    expect(logged).toContainEqual(expect.objectContaining({ msg: "unreadable request", requestId: answer.headers["x-request-id"], status }));
  }
});

test("a refused request after an answered one on the same keep-alive connection: the first answer intact, then the envelope", async () => {
  const answer = await raw(api.port, `GET /v1/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${hugeHeaders}`);
  const second = answer.indexOf("HTTP/1.1 431");
  expect(answer.startsWith("HTTP/1.1 200 OK")).toBe(true);
  expect(second).toBeGreaterThan(0);
  expect(parse(answer.slice(second)).body.error.code).toBe("BAD_REQUEST");
});
