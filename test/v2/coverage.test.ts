import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Harness, openHarness } from "../harness.ts";

/**
 * Every v2 operation of Unkey's SDK is either served (in /openapi.json) or named in the
 * README's list of operations Keyhold does not serve, and the list names nothing served.
 */
const sdkFuncs = join(dirname(createRequire(import.meta.url).resolve("unkey-api-v2")), "funcs");

function sdkOperations(): string[] {
  const paths = readdirSync(sdkFuncs)
    .filter((f) => f.endsWith(".js"))
    .flatMap((f) => [...readFileSync(join(sdkFuncs, f), "utf8").matchAll(/"\/v2\/([A-Za-z]+\.[A-Za-z]+)"/g)].map((m) => m[1]!));
  return [...new Set(paths)].sort();
}

/** The README's bullets under "v2 operations Keyhold does not serve": `group.*` or `group.action`. */
function readmeUnserved(): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.split("**v2 operations Keyhold does not serve**")[1]!.split("\n\n")[1]!;
  return [...section.matchAll(/`([a-z]+\.(?:\*|[A-Za-z]+))`/g)].map((m) => m[1]!);
}

/** Keyhold's own operations (src/api/operation.ts: served as /v1 and /v2), which Unkey's SDK never had: an exact name or `group.`. */
const KEYHOLD_OWN = [
  "keys.exportKey",
  "escrow.",
  "users.",
  "audit.",
  "activities.",
  "workspaces.",
  "policies.",
  // Portal configuration, reveals and creates are Keyhold's; portal sessions are Unkey's.
  "portal.createPortal",
  "portal.getPortal",
  "portal.listPortals",
  "portal.updatePortal",
  "portal.deletePortal",
  "portal.revealKey",
  "portal.createKey",
  "portal.getActivity",
];
const keyholdOwn = (op: string) => KEYHOLD_OWN.some((own) => op === own || (own.endsWith(".") && op.startsWith(own)));

let h: Harness;
beforeAll(async () => {
  h = await openHarness("pglite");
});
afterAll(() => h?.close());

test("the SDK's v2 operations are served or listed as not served in the README, never both", async () => {
  const doc = (await h.call("GET", "/openapi.json")).body;
  const served = Object.keys(doc.paths).filter((p) => p.startsWith("/v2/") && p !== "/v2/liveness").map((p) => p.slice(4));
  const unserved = readmeUnserved();
  const listed = (op: string) => unserved.some((u) => u === op || (u.endsWith(".*") && op.startsWith(u.slice(0, -1))));
  const sdk = sdkOperations();
  expect(sdk.length).toBeGreaterThan(50);
  expect(sdk.filter((op) => !served.includes(op) && !listed(op)), "neither served nor listed").toEqual([]);
  expect(served.filter(listed), "served but listed as not served").toEqual([]);
  expect(served.filter((op) => !sdk.includes(op) && !keyholdOwn(op)), "served but not an SDK operation").toEqual([]);
  // An unserved operation answers 404 in the v2 envelope.
  const res = await h.post("/v2/deployments.getDeployment", { deploymentId: "x" }, "kh_root_x"); // out of scope for good
  expect(res.status).toBe(404);
  expect(res.body.error).toMatchObject({ status: 404, title: "Not Found" });
});
