import { getEventListeners } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHttpTransport } from "./node-http-transport.ts";

describe("nodeHttpTransport", () => {
  // Answers after a short wait, so every call of a burst is in flight at once.
  const server = createServer((_req, res) => setTimeout(() => res.end(JSON.stringify({ ok: true })), 20));
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("shares one deadline signal among a burst of concurrent calls without Node's listener-leak warning", async () => {
    // The vault client hands every call of a 50 ms slice the same AbortSignal (sharedDeadlines):
    // under load many requests listen on it at once, each removing its listener when it ends.
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const send = nodeHttpTransport();
      const signal = AbortSignal.timeout(5_000);
      const answers = await Promise.all(Array.from({ length: 40 }, () => send(url, { method: "POST", headers: {}, body: "{}", signal })));
      expect(answers.every((a) => a.ok && a.status === 200)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      // No leak for the warning to be about: every request let go of the signal when it ended.
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
