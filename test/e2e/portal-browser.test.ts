import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { childEnv, freePort, root } from "../cli/processes.ts";

/**
 * The portal and the playground in a real browser (Debian's Chromium, or CHROMIUM_PATH), against
 * `npm run example:playground`'s own script: Keyhold and the example API as two processes on
 * two origins. Skipped without a browser; playwright-core never downloads one.
 */
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium"].find((p) => p && existsSync(p));
if (!executablePath) console.warn("[keyhold] portal browser test skipped: no Chromium at CHROMIUM_PATH or /usr/bin/chromium (apt-get install -y chromium)");

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ARTIFACTS = join(root, "test/artifacts");

describe.skipIf(!executablePath)("portal and playground in a real browser", () => {
  let example: ChildProcess;
  let exited: Promise<number | null>;
  let urls: { keyholdUrl: string; exampleUrl: string; keyId: string; dataDir: string };
  let browser: BrowserContext;
  let profile: string;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const [keyholdPort, examplePort, vaultPort] = [await freePort(), await freePort(), await freePort()];
    example = spawn(process.execPath, ["--import", "tsx", "examples/playground/run.ts"], {
      cwd: root,
      env: childEnv({ KEYHOLD_PORT: String(keyholdPort), EXAMPLE_PORT: String(examplePort), EXAMPLE_VAULT_PORT: String(vaultPort) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    exited = new Promise((resolve) => example.once("exit", (code) => resolve(code)));
    let out = "";
    example.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    urls = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`example did not start:\n${out}`)), 80_000);
      example.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const ready = out.match(/^READY (.+)$/m);
        if (ready) (clearTimeout(timer), resolve(JSON.parse(ready[1]!)));
      });
    });
    profile = mkdtempSync(join(tmpdir(), "keyhold-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
    await browser.grantPermissions(["clipboard-read", "clipboard-write"], { origin: urls.keyholdUrl });
    browser.on("request", (r) => requests.push(r.url()));
    browser.on("console", (m) => m.type() === "error" && consoleErrors.push(`${m.location().url}: ${m.text()}`));
    browser.on("weberror", (e) => consoleErrors.push(String(e.error())));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    // A test that failed before the SIGTERM one: stop it the same way, so it deletes its data.
    if (example && example.exitCode === null) {
      example.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (example.exitCode === null) example.kill("SIGKILL");
    }
  });

  const newPage = async (width: number): Promise<Page> => {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    return page;
  };

  test("sign in → docs page → Scalar already holds the end user's key → Send gets 200 from the example API", async () => {
    const page = await newPage(1280);
    await page.goto(`${urls.exampleUrl}/`);
    await page.getByRole("button", { name: "Sign in as alice and open the docs" }).click();
    await page.waitForURL(`${urls.exampleUrl}/docs`);
    await expect.poll(() => page.locator("#signed-in").innerText(), { timeout: 15_000 }).toContain("Signed in: the playground uses your key alice's playground key");

    // Scalar's own client: open the operation's test request and send it, without typing a key.
    await page.getByRole("button", { name: /Test Request.*hello/i }).first().click();
    const client = page.getByRole("dialog").first();
    const sent = page.waitForRequest((r) => r.url() === `${urls.exampleUrl}/v1/hello` && r.method() === "GET");
    const answered = page.waitForResponse((r) => r.url() === `${urls.exampleUrl}/v1/hello`);
    await client.getByRole("button", { name: /^Send/ }).first().click();
    const request = await sent;
    expect(request.headers().authorization).toMatch(/^Bearer acme_\w+$/);
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ message: "Hello, alice!", keyId: urls.keyId });
    await expect.poll(() => client.innerText(), { timeout: 10_000 }).toMatch(/Hello, alice!/);
    await page.screenshot({ path: join(ARTIFACTS, "playground-docs.png") });
    await page.close();
  }, 90_000);

  test("the hosted portal at 360 and 1280 px: reveal (hidden again after 30 s), copy, reroll with a grace period", async () => {
    let oldKey = "";
    for (const width of [360, 1280]) {
      const page = await newPage(width);
      await page.clock.install();
      page.on("dialog", (d) => void d.accept());
      await page.goto(`${urls.exampleUrl}/`);
      const portalPage = page.waitForResponse((r) => r.url() === `${urls.keyholdUrl}/portal`);
      await page.getByRole("button", { name: "Manage your keys in the Keyhold portal" }).click();
      // The code was exchanged and dropped: the page's own address has none.
      await page.waitForURL(`${urls.keyholdUrl}/portal`);
      const served = await portalPage;
      expect(served.status()).toBe(200);
      expect(await served.headerValue("content-security-policy")).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self';/);
      expect(page.url()).toBe(`${urls.keyholdUrl}/portal`);
      await expect.poll(() => page.locator("#status").innerText(), { timeout: 15_000 }).toMatch(/^1 key\./);
      const card = page.locator("li.key").first();
      await expect.poll(() => card.locator("svg.chart").count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(await page.locator(".back").getAttribute("href")).toBe(`${urls.exampleUrl}/`);

      // Reveal by keyboard: Tab to the button, Enter.
      const reveal = card.getByRole("button", { name: /^Reveal key/ });
      await reveal.focus();
      await page.keyboard.press("Enter");
      const secret = card.locator("code.secret");
      await secret.waitFor();
      expect(await card.locator("code.masked").isHidden()).toBe(true);
      const plaintext = await secret.innerText();
      expect(plaintext).toMatch(/^acme_\w+$/);
      if (!oldKey) oldKey = plaintext;
      await card.getByRole("button", { name: "Copy" }).click();
      await expect.poll(() => card.innerText()).toContain("Copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(plaintext);
      await page.screenshot({ path: join(ARTIFACTS, `portal-${width}-revealed.png`), fullPage: true });
      await page.clock.fastForward(31_000);
      await expect.poll(() => secret.count()).toBe(0);
      expect(await card.locator("code.masked").isVisible()).toBe(true);
      expect(await card.innerText()).not.toContain(plaintext);

      if (width === 1280) {
        await card.getByLabel("Old key stops working").selectOption({ label: "in 1 hour" });
        await card.getByRole("button", { name: /^Reroll key/ }).click();
        await card.locator("code.secret").waitFor();
        const fresh = await card.locator("code.secret").innerText();
        expect(fresh).toMatch(/^acme_\w+$/);
        expect(fresh).not.toBe(oldKey);
        expect(await card.innerText()).toContain("the old one stops working in 1 hour");
        await page.screenshot({ path: join(ARTIFACTS, "portal-1280-rerolled.png"), fullPage: true });
        // Both work now: the new one, and the old one for its grace period.
        for (const key of [fresh, oldKey]) {
          const res = await fetch(`${urls.exampleUrl}/v1/hello`, { headers: { Authorization: `Bearer ${key}` } });
          expect(res.status).toBe(200);
        }
      } else {
        await page.screenshot({ path: join(ARTIFACTS, "portal-360.png"), fullPage: true });
      }
      await page.close();
    }
  }, 120_000);

  test("create a key at 360 px: signed in as alice, the new key shown once with Copy, then in the list, and it works", async () => {
    const page = await newPage(360);
    await page.goto(`${urls.exampleUrl}/`);
    await page.getByRole("button", { name: "Manage your keys in the Keyhold portal" }).click();
    await page.waitForURL(`${urls.keyholdUrl}/portal`);
    expect(await page.locator("#who").innerText()).toBe("Signed in as alice");
    await expect.poll(() => page.locator("#status").innerText(), { timeout: 15_000 }).toMatch(/^\d+ keys?\./);
    const before = await page.locator("li.key").count();

    await page.getByLabel("Name (optional)").fill("my laptop");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = page.locator("#create code.secret");
    await secret.waitFor();
    const created = await secret.innerText();
    expect(created.length).toBeGreaterThan(16);
    await page.locator("#create").getByRole("button", { name: "Copy" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(created);
    // The list was read again: the new key is a card of its own, by its name.
    await expect.poll(() => page.locator("li.key").count(), { timeout: 10_000 }).toBe(before + 1);
    expect(await page.locator("li.key h2").allInnerTexts()).toContain("my laptop");
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(ARTIFACTS, "portal-360-created.png"), fullPage: true });
    // Alice's key: the example API greets her with it.
    const res = await fetch(`${urls.exampleUrl}/v1/hello`, { headers: { Authorization: `Bearer ${created}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { message: string }).message).toBe("Hello, alice!");
    await page.close();
  }, 90_000);

  test("no request left the two origins; no console errors (CSP violations among them); the portal answers its CSP", async () => {
    const foreign = requests.filter((url) => !url.startsWith(`${urls.keyholdUrl}/`) && !url.startsWith(`${urls.exampleUrl}/`) && !/^(data|blob):/.test(url));
    expect(foreign).toEqual([]);
    expect(requests).toContain(`${urls.keyholdUrl}/portal/portal.js`);
    expect(requests).toContain(`${urls.exampleUrl}/keyhold/portal/playground.js`);
    expect(consoleErrors).toEqual([]);
    const res = await fetch(`${urls.keyholdUrl}/portal`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self'/);
  });

  test("a used or made-up link is a page that says so, at 360 px", async () => {
    const page = await newPage(360);
    const res = await page.goto(`${urls.keyholdUrl}/portal?code=made-up`);
    expect(res!.status()).toBe(401);
    expect(page.url()).toBe(`${urls.keyholdUrl}/portal?code=made-up`);
    const alert = page.getByRole("alert");
    expect(await alert.innerText()).toMatch(/This portal link cannot be used[\s\S]*invalid, expired or already used[\s\S]*open the portal again/);
    await page.screenshot({ path: join(ARTIFACTS, "portal-360-error.png") });
    await page.close();
  });

  test("SIGTERM stops Keyhold and the example and deletes the throwaway data", async () => {
    example.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(urls.dataDir.startsWith(join(root, ".keyhold-example"))).toBe(true);
    expect(existsSync(urls.dataDir)).toBe(false);
    await expect(fetch(`${urls.keyholdUrl}/v1/liveness`)).rejects.toThrow();
  }, 30_000);
});
