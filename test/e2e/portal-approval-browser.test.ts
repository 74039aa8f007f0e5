import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { activities } from "../../src/db/schema.ts";
import { approve, getActivity, person } from "../custody/people.ts";
import { type Harness, openHarness } from "../harness.ts";
import { useListener } from "../listen.ts";
import { mintCode, portalWorld } from "../portal/fixtures.ts";
import { TestVault } from "../vault-harness.ts";

/**
 * The hosted portal page when the provider's policy holds a reveal: the page says in words that
 * the provider must approve, polls portal.getActivity, and shows the key once approved (or says
 * it was declined). In-process Keyhold on a loopback listener, Debian's Chromium (skipped without).
 */
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium"].find((p) => p && existsSync(p));
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe.skipIf(!executablePath)("a held reveal in the hosted portal, in a real browser", () => {
  let h: Harness;
  let tv: TestVault;
  let browser: BrowserContext;
  let profile: string;
  const errors: string[] = [];
  beforeAll(async () => {
    tv = await TestVault.start();
    h = await openHarness("pglite", { vault: tv.client });
  }, 60_000);
  const url = useListener(() => h);
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "keyhold-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
    browser.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    browser.on("weberror", (e) => errors.push(String(e.error())));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await h?.close();
    await tv?.destroy();
  });

  test("waiting in words, approved, then the key shown (and hidden again); a declined one says so", async () => {
    const world = await portalWorld(h);
    const approver = await person(h, world.ws);
    const policy = { name: "portal reveals", effect: "ALLOW", condition: "activity.type == 'DECRYPT_KEY' && has(activity.params.portalId)", consensus: `approvers.any(u, u.id == '${approver.userId}')` };
    expect((await h.post("/v2/policies.createPolicy", policy, world.ws.rootKey)).status).toBe(200);
    const code = await mintCode(h, world.ws.rootKey, world.portalId, "alice", ["keys:read", "keys:reveal"]);
    const waiting = async () => (await h.db.select().from(activities).where(and(eq(activities.workspaceId, world.ws.workspaceId), eq(activities.status, "CONSENSUS_NEEDED"))))[0]!.id;

    const page = await browser.newPage();
    await page.clock.install();
    await page.goto(`${url()}/portal?code=${encodeURIComponent(code)}`);
    await page.waitForURL(`${url()}/portal`);
    const card = page.locator("li.key", { hasText: "alice-recoverable" });
    await card.waitFor({ timeout: 15_000 });

    // By keyboard: the button, Enter.
    await card.getByRole("button", { name: /^Reveal key/ }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => card.innerText(), { timeout: 10_000 }).toContain("The provider must approve showing this key");
    expect(await card.locator("code.secret").count()).toBe(0);
    // Polls before the approval find it still waiting.
    await page.clock.fastForward(3_100);
    expect(await card.innerText()).toContain("The provider must approve");

    expect((await approve(h, approver, await waiting())).body.status).toBe("COMPLETED");
    await page.clock.fastForward(3_100);
    const secret = card.locator("code.secret");
    await secret.waitFor({ timeout: 10_000 });
    expect(await secret.innerText()).toBe(world.alice.recoverable.key);
    expect(await card.innerText()).not.toContain("The provider must approve");
    await page.clock.fastForward(31_000);
    await expect.poll(() => secret.count()).toBe(0);
    expect(await card.locator("code.masked").isVisible()).toBe(true);

    // Asked again and declined: the page says so, and shows nothing.
    await card.getByRole("button", { name: /^Reveal key/ }).click();
    await expect.poll(() => card.innerText(), { timeout: 10_000 }).toContain("The provider must approve");
    const declined = await waiting();
    const { digest } = await getActivity(h, approver, declined);
    expect((await h.post("/v1/activities.rejectActivity", { activityId: declined, digest }, approver.rootKey)).status).toBe(200);
    await page.clock.fastForward(3_100);
    await expect.poll(() => card.innerText(), { timeout: 10_000 }).toContain("The provider declined this request");
    expect(await card.locator("code.secret").count()).toBe(0);
    expect(await card.getByRole("button", { name: /^Reveal key/ }).isEnabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
