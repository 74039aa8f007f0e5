import type { Command } from "commander";
import { ConfigError } from "../../config.ts";

/**
 * `keyhold keys …`: the key endpoints from a shell, through the HTTP API of a running
 * Keyhold (KEYHOLD_URL, default this machine's PORT) with a root key (KEYHOLD_ROOT_KEY),
 * so the same permissions and audit apply as for any other client.
 */
export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("Create, verify and list API keys through a running Keyhold (KEYHOLD_URL, KEYHOLD_ROOT_KEY).");
  keys
    .command("create")
    .description("Create a key and print it (shown once).")
    .requiredOption("--api <apiId>", "the API the key belongs to")
    .option("--prefix <prefix>", "key prefix, e.g. sk_live")
    .option("--name <name>", "a name for the key")
    .option("--recoverable", "also store it recoverably (needs encrypt_key and recovery on the API)")
    .option("--json", "print JSON only")
    .action(async (o: { api: string; prefix?: string; name?: string; recoverable?: boolean; json?: boolean }) => {
      const body = { apiId: o.api, prefix: o.prefix, name: o.name, recoverable: o.recoverable };
      const created = await call<{ keyId: string; key: string }>("POST", "/v1/keys.createKey", body);
      print(o.json ? JSON.stringify(created) : `${created.key}\n(key id ${created.keyId}; the key is shown only this once)`);
    });
  keys
    .command("verify")
    .description(
      "Verify a key; exits 0 if it is valid, 1 if not. The key is read from stdin when <key> is - or left out: " +
        "an argument is visible to every local user in the process list (printf %s \"$KEY\" | keyhold keys verify).",
    )
    .argument("[key]", "the key to verify, or - (the default) to read it from stdin")
    .option("--api <apiId>", "the API it must belong to")
    .option("--json", "print JSON only")
    .action(async (arg: string | undefined, o: { api?: string; json?: boolean }) => {
      const key = await keyArgument(arg);
      const result = await call<{ valid: boolean; code: string; keyId?: string }>("POST", "/v1/keys.verifyKey", { key, apiId: o.api }, false);
      print(o.json ? JSON.stringify(result) : `${result.code}${result.keyId ? ` ${result.keyId}` : ""}`);
      process.exitCode = result.valid ? 0 : 1;
    });
  keys
    .command("list")
    .description("List an API's keys (id, start, name), oldest first.")
    .requiredOption("--api <apiId>", "the API whose keys to list")
    .option("--limit <n>", "at most this many", "100")
    .option("--json", "print JSON only")
    .action(async (o: { api: string; limit: string; json?: boolean }) => {
      const page = await call<{ keys: { id: string; start: string; name?: string }[]; total: number }>(
        "GET",
        `/v1/apis.listKeys?apiId=${encodeURIComponent(o.api)}&limit=${encodeURIComponent(o.limit)}`,
      );
      if (o.json) return print(JSON.stringify(page));
      for (const k of page.keys) print(`${k.id}  ${k.start}…  ${k.name ?? ""}`.trimEnd());
      print(`${page.keys.length} of ${page.total} key(s)`);
    });
}

/** Far more than any key (at most 255 random bytes and a prefix): stdin beyond this is not a key. */
const MAX_STDIN_KEY = 4096;

/**
 * The key itself, or read from stdin for `-` or no argument. Left out on a terminal it is an
 * error rather than a silent wait (`-` reads what is typed, up to end of input).
 */
async function keyArgument(arg: string | undefined): Promise<string> {
  if (arg !== undefined && arg !== "-") return arg;
  if (arg === undefined && process.stdin.isTTY) {
    throw new ConfigError("no key given: pipe it on stdin (printf %s \"$KEY\" | keyhold keys verify), or pass - to type it");
  }
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.length > MAX_STDIN_KEY) throw new ConfigError(`stdin holds more than ${MAX_STDIN_KEY} characters: not a key`);
  }
  const key = text.trim();
  if (key === "") throw new ConfigError("no key on stdin: pipe the key in (printf %s \"$KEY\" | keyhold keys verify)");
  if (/\s/.test(key)) throw new ConfigError("stdin must hold exactly one key");
  return key;
}

async function call<T>(method: "GET" | "POST", path: string, body?: unknown, needsRootKey = true): Promise<T> {
  const { KeyholdError } = await import("../../errors.ts");
  const { listenUrl, loadConfig } = await import("../../config.ts");
  const config = loadConfig();
  if (needsRootKey && !config.keyholdRootKey) throw new ConfigError("KEYHOLD_ROOT_KEY must be set to a root key for this command");
  const url = `${config.keyholdUrl?.replace(/\/+$/, "") ?? listenUrl(config.host, config.port)}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", ...(config.keyholdRootKey && { Authorization: `Bearer ${config.keyholdRootKey}` }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new KeyholdError("SERVICE_UNAVAILABLE", `No Keyhold answers at ${new URL(url).origin}: start one (keyhold serve) or set KEYHOLD_URL.`);
  }
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    const error = json?.error;
    throw new KeyholdError("BAD_REQUEST", error ? `${error.code}: ${error.message}` : `Keyhold answered ${res.status}`);
  }
  return json as T;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
