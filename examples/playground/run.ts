import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createExampleApp } from "./server.ts";

/**
 * `npm run example:playground`: Keyhold (`keyhold serve`, embedded PGlite in a throwaway
 * directory under .keyhold-example/ in the repo) and the example API beside it. Bootstraps a
 * workspace (Keyhold's first start), an API with recovery on, the end user `alice` with a
 * recoverable key, and a portal; prints the URLs. Ctrl-C / SIGTERM stop both and delete the
 * directory. KEYHOLD_PORT (8787) and EXAMPLE_PORT (8790) choose the ports.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const keyholdPort = Number(process.env.KEYHOLD_PORT ?? 8787);
const examplePort = Number(process.env.EXAMPLE_PORT ?? 8790);
const vaultPort = Number(process.env.EXAMPLE_VAULT_PORT ?? keyholdPort + 1);
const keyholdUrl = `http://127.0.0.1:${keyholdPort}`;
const exampleUrl = `http://127.0.0.1:${examplePort}`;
const EXTERNAL_ID = "alice";

mkdirSync(join(root, ".keyhold-example"), { recursive: true });
const dataDir = mkdtempSync(join(root, ".keyhold-example", "run-"));
let keyhold: ChildProcess | undefined;
let server: ReturnType<typeof serve> | undefined;
let stopping: Promise<never> | undefined;

/**
 * Stops both and deletes the data, once: a second signal (npm forwards Ctrl-C to its child, which
 * already got it from the terminal) waits for the same stop instead of exiting half-way.
 */
function stop(code: number): Promise<never> {
  return (stopping ??= (async () => {
    await new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      // Browsers keep connections open; close() alone would wait for them.
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
    if (keyhold && keyhold.exitCode === null && keyhold.signalCode === null) {
      const exited = new Promise((resolve) => keyhold!.once("exit", resolve));
      keyhold.kill("SIGTERM");
      const timer = setTimeout(() => keyhold!.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  })());
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

async function startKeyhold(): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(keyholdPort), VAULT_PORT: String(vaultPort), KEYHOLD_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  for (const name of ["DATABASE_URL", "VAULT_URL", "HOST", "KEYHOLD_URL", "KEYHOLD_ROOT_KEY"]) delete env[name];
  keyhold = spawn(process.execPath, [join(root, "bin/keyhold.mjs"), "serve"], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  keyhold.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  keyhold.once("exit", (code) => stopping ?? (console.error(`keyhold exited (${code})`), void stop(1)));
  for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((r) => setTimeout(r, 200))) {
    const live = await fetch(`${keyholdUrl}/v1/liveness`).then((r) => r.ok, () => false);
    const rootKey = stdout.match(/kh_root_[A-Za-z0-9]+/)?.[0];
    if (live && rootKey) return rootKey;
  }
  throw new Error(`Keyhold did not start on ${keyholdUrl}`);
}

async function call(path: string, body: unknown, rootKey: string): Promise<any> {
  const res = await fetch(`${keyholdUrl}${path}`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${rootKey}` }, body: JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function main(): Promise<void> {
  const rootKey = await startKeyhold();
  const { apiId } = await call("/v1/apis.createApi", { name: "acme" }, rootKey);
  await call("/v1/apis.updateApi", { apiId, recovery: { enabled: true } }, rootKey);
  await call("/v2/identities.createIdentity", { externalId: EXTERNAL_ID }, rootKey);
  const key = await call("/v1/keys.createKey", { apiId, ownerId: EXTERNAL_ID, recoverable: true, name: "alice's playground key", prefix: "acme" }, rootKey);
  const portal = await call("/v2/portal.createPortal", { name: "Acme API", apiIds: [apiId], returnUrl: `${exampleUrl}/`, branding: { accentColor: "#0f766e" } }, rootKey);
  const app = createExampleApp({ keyholdUrl, rootKey, apiId, portalId: portal.data.portalId, externalId: EXTERNAL_ID });
  await new Promise<void>((resolve) => (server = serve({ fetch: app.fetch, port: examplePort, hostname: "127.0.0.1" }, () => resolve())));
  console.log(
    [
      "",
      `Keyhold:           ${keyholdUrl}  (data in ${dataDir}, deleted on exit)`,
      `Example API:       ${exampleUrl}/v1/hello`,
      `Sign in + docs:    ${exampleUrl}/   (the playground gets ${EXTERNAL_ID}'s key ${key.keyId})`,
      "Ctrl-C stops both.",
      `READY ${JSON.stringify({ keyholdUrl, exampleUrl, keyId: key.keyId, dataDir })}`,
    ].join("\n"),
  );
}

main().catch((error) => {
  console.error(error);
  void stop(1);
});
