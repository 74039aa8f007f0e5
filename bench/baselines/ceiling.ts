import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { sha256Hex } from "../../src/crypto/hash.ts";
import { childConfig, serveChild } from "../servers/serve-child.ts";

/**
 * The ceiling for a cached verify: a bare Hono app on @hono/node-server that parses the
 * same JSON body, takes SHA-256 of the key with @noble/hashes and looks it up in a Map,
 * answering a body shaped like Keyhold's. No validation, no middleware, no database.
 */
const { samplePath } = childConfig<{ samplePath: string }>();
const keys = JSON.parse(readFileSync(samplePath, "utf8")) as string[];
const records = new Map(keys.map((key, i) => [sha256Hex(key), { keyId: `key_ceiling${String(i).padStart(11, "0")}` }]));

const app = new Hono();
app.post("/v1/keys.verifyKey", async (c) => {
  const body = await c.req.json<{ key: string }>();
  const record = records.get(sha256Hex(body.key));
  if (!record) return c.json({ valid: false, code: "NOT_FOUND", requestId: "req_0000000000000000000000" });
  return c.json({
    valid: true,
    code: "VALID",
    keyId: record.keyId,
    enabled: true,
    permissions: [],
    roles: [],
    requestId: "req_0000000000000000000000",
  });
});

await serveChild([app]);
