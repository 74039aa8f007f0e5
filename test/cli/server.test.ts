import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { eq } from "drizzle-orm";
import { databaseTarget, loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/client.ts";
import { keys } from "../../src/db/schema.ts";
import { KeyholdError } from "../../src/errors.ts";
import { type ServerHandle, startServer } from "../../src/server.ts";
import { freePort, killAll, liveness, tempDataDir } from "./processes.ts";

/** startServer in-process: what close() promises about in-flight requests, and a taken port. */
describe.sequential("startServer", () => {
  let handle: ServerHandle;
  let printed = "";
  const dataDir = tempDataDir();

  beforeAll(async () => {
    const config = loadConfig({ KEYHOLD_DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: "silent" });
    handle = await startServer(config, { logger: pino({ level: "silent" }), print: (text) => (printed += text), graceMs: 5000 });
  });
  afterAll(async () => {
    await handle?.close();
    await killAll();
  });

  test("an empty database is bootstrapped and the welcome goes to print()", () => {
    expect(handle.bootstrapped?.rootKey).toMatch(/^kh_root_/);
    expect(printed).toContain(`export ROOT_KEY=${handle.bootstrapped!.rootKey}`);
  });

  test("a second server on the same port fails with a message naming PORT, and releases the data dir", async () => {
    const other = tempDataDir();
    const config = loadConfig({ KEYHOLD_DATA_DIR: other, PORT: String(handle.port), LOG_LEVEL: "silent" });
    const attempt = startServer(config, { logger: pino({ level: "silent" }), print: () => {} });
    await expect(attempt).rejects.toThrow(KeyholdError);
    await expect(attempt).rejects.toThrow(`Port ${handle.port} on 127.0.0.1 is already in use; set PORT to a free port.`);
    expect(existsSync(join(other, "keyhold.lock"))).toBe(false);
  });

  test("close() lets a request that is mid-body finish, refuses new connections, then resolves", async () => {
    const response = slowCreateApi(handle, "in-flight");
    await new Promise((resolve) => setTimeout(resolve, 200)); // the request is now being read
    let closed = false;
    const closing = handle.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false); // still waiting for the in-flight request
    expect(await liveness(handle.url)).toBeNull(); // no longer accepting
    response.finish();
    expect(await response.result).toMatchObject({ status: 200 });
    await closing;
    expect(closed).toBe(true);
  });
});

test("close() writes the last_used_at times noted since the last batch before the database closes", async () => {
  const config = loadConfig({ KEYHOLD_DATA_DIR: tempDataDir(), PORT: String(await freePort()), LOG_LEVEL: "silent" });
  const server = await startServer(config, { logger: pino({ level: "silent" }), print: () => {} });
  let keyId: string;
  let verifiedAt: number;
  try {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${server.bootstrapped!.rootKey}` },
        body: JSON.stringify(body),
      });
      return res.json() as Promise<any>;
    };
    const { apiId } = await post("/v1/apis.createApi", { name: "used" });
    const created = await post("/v1/keys.createKey", { apiId });
    keyId = created.keyId;
    verifiedAt = Date.now();
    expect((await post("/v2/keys.verifyKey", { key: created.key })).data.code).toBe("VALID");
  } finally {
    // At once, well within the one-second batch interval: the write comes from close().
    await server.close();
  }
  const handle = await openDatabase(databaseTarget(config));
  try {
    const [row] = await handle.db.select({ at: keys.lastUsedAt }).from(keys).where(eq(keys.id, keyId!));
    expect(row!.at).toBeGreaterThanOrEqual(verifiedAt!);
  } finally {
    await handle.close();
  }
});

/** POST /v1/apis.createApi whose body arrives in two parts, the second when finish() is called. */
function slowCreateApi(handle: ServerHandle, name: string) {
  const body = JSON.stringify({ name });
  const req = request(`${handle.url}/v1/apis.createApi`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": String(body.length), Authorization: `Bearer ${handle.bootstrapped!.rootKey}` },
  });
  const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  req.write(body.slice(0, 5));
  return { result, finish: () => req.end(body.slice(5)) };
}
