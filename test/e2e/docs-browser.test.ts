import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Served, killAll, post, root, serve, tempDataDir } from "../cli/processes.ts";

/** Debian's Chromium (or CHROMIUM_PATH); playwright-core never downloads a browser. */
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium"].find((p) => p && existsSync(p));
if (!executablePath) console.warn("[keyhold] /docs browser test skipped: no Chromium at CHROMIUM_PATH or /usr/bin/chromium (apt-get install -y chromium)");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = join(root, "test/artifacts/docs-try-it.png");

describe.skipIf(!executablePath)("/docs in a real browser", () => {
  let server: Served;
  let browser: BrowserContext;
  let profile: string;
  let rootKey: string;
  let key: string;

  beforeAll(async () => {
    server = await serve({ KEYHOLD_DATA_DIR: tempDataDir(), LOG_LEVEL: "warn" });
    rootKey = server.stdout().match(/kh_root_[A-Za-z0-9]+/)![0];
    const api = await post(server.url, "/v1/apis.createApi", { name: "docs" }, rootKey);
    key = (await post(server.url, "/v1/keys.createKey", { apiId: api.body.apiId }, rootKey)).body.key;
    profile = mkdtempSync(join(tmpdir(), "keyhold-chromium-"));
    // A fresh profile per run; Playwright passes it as --user-data-dir.
    browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ARGS, viewport: { width: 1400, height: 900 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await killAll();
  });

  test("loads only from 127.0.0.1, and its try-it client verifies a key against the live service", async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const requests: string[] = [];
    const cspViolations: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));

    await page.goto(`${server.url}/docs`, { waitUntil: "networkidle" });
    // Both API versions are there, each operation under its version's tag.
    await page.getByText("v2 keys", { exact: true }).first().waitFor();
    await page.getByText("v1 keys", { exact: true }).first().click();
    await page.getByRole("button", { name: /Test Request.*verifyKey/ }).click();
    const client = page.getByRole("dialog").first();

    // What a user does: paste the root key, put a key in the body, send.
    await client.getByPlaceholder("Token").first().fill(rootKey);
    await client.locator(".cm-content").last().click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(JSON.stringify({ key }));
    await page.waitForTimeout(1000); // the client stores editor changes debounced
    const sent = page.waitForRequest((r) => r.url().endsWith("/v1/keys.verifyKey") && r.method() === "POST");
    await client.getByRole("button", { name: /^Send/ }).first().click();
    const request = await sent;
    expect(request.headers().authorization).toBe(`Bearer ${rootKey}`);
    await expect.poll(() => client.innerText(), { timeout: 10_000 }).toMatch(/"code": "VALID"/);
    expect(await client.innerText()).toMatch(/"valid": true/);

    mkdirSync(join(root, "test/artifacts"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    const foreign = requests.filter((url) => !url.startsWith(`${server.url}/`) && !/^(data|blob):/.test(url));
    expect(foreign).toEqual([]);
    expect(requests).toContain(`${server.url}/openapi.json`);
    expect(cspViolations).toEqual([]);
  }, 90_000);
});
