import { expect, test } from "vitest";
import * as errors from "unkey-api-v2/models/errors";
import { forEachDatabase } from "../harness.ts";
import { failure, useV2Sdk } from "../v2/sdk-context.ts";
import { portalWorld } from "./fixtures.ts";

/**
 * Unkey's v2 SDK (response validation on) against Keyhold's portal: createSession and
 * exchangeCode with the provider's root key, then listKeys, getVerifications and rerollKey
 * with the portal session as the SDK sends it (the `portal_session` cookie).
 */
forEachDatabase(
  "portal sessions through @unkey/api 2.5.1",
  (h) => {
    const v2 = useV2Sdk(h);

    test("a session minted and exchanged through the SDK lists, counts and rerolls the end user's own keys", async () => {
      const { unkey, ws, serverURL } = v2();
      const world = await portalWorld(h(), ws);
      const session = await unkey.portal.createSession({ portal: world.portalId, externalId: "alice", scopes: ["keys:read", "keys:reroll", "analytics:read"] });
      expect(session.result.data.id).toMatch(/^pss_/);
      const url = new URL(session.result.data.url);
      expect(url.origin).toBe(new URL(serverURL).origin);
      expect(url.pathname).toBe("/portal");
      const code = url.searchParams.get("code")!;
      expect(code.length).toBeGreaterThanOrEqual(40);

      const exchanged = await unkey.portal.exchangeCode({ code });
      const portalSession = exchanged.result.data.accessToken;
      expect(portalSession).toMatch(/^pts_/);
      expect(exchanged.result.data.expiresAt).toBeGreaterThan(Date.now());
      // The cookie, as the SDK saw it: HttpOnly, SameSite=Strict, path-limited (the listener is on loopback: not Secure).
      const cookie = (exchanged.headers["set-cookie"] ?? []).join("\n");
      expect(cookie).toContain(`portal_session=${portalSession}`);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      // The SDK keeps one Set-Cookie of the two (its headers are a record): the /v2 one, set last; the /portal one is
      // checked over HTTP in sessions.test.ts.
      expect(cookie).toMatch(/Path=\/v2/);
      // Once only.
      expect(await failure(unkey.portal.exchangeCode({ code }))).toBeInstanceOf(errors.UnauthorizedErrorResponse);

      const page = await unkey.portal.listKeys({ portalSession }, {});
      const ids = page.result.data.map((k) => k.keyId).sort();
      expect(ids).toEqual([world.alice.recoverable.keyId, world.alice.plain.keyId].sort());
      expect(page.result.pagination.hasMore).toBe(false);

      // Verifications: two valid and one usage-exceeded of alice's keys, one of bob's (not counted).
      await h().verify(world.alice.recoverable.key);
      await h().verify(world.alice.plain.key);
      await h().verify(world.bob.key);
      await h().deps.analytics!.flush();
      const now = Date.now();
      const hour = Math.floor(now / 3_600_000) * 3_600_000;
      const series = await unkey.portal.getVerifications({ portalSession }, { startTime: hour - 3 * 3_600_000, endTime: hour + 3_600_000 });
      expect(series.data.map((p) => p.time)).toEqual([3, 2, 1, 0].map((n) => hour - n * 3_600_000)); // hourly buckets, zero-filled
      expect(series.data.slice(0, 3).every((p) => p.total === 0)).toBe(true);
      expect(series.data.reduce((n, p) => n + p.valid, 0)).toBe(2);
      const one = await unkey.portal.getVerifications({ portalSession }, { startTime: now - 3_600_000, endTime: now + 60_000, keyId: world.alice.plain.keyId });
      expect(one.data.reduce((n, p) => n + p.total, 0)).toBe(1);

      const rerolled = await unkey.portal.rerollKey({ portalSession }, { keyId: world.alice.plain.keyId, expiration: 60_000 });
      expect(rerolled.data.keyId).not.toBe(world.alice.plain.keyId);
      expect((await h().verify(rerolled.data.key)).body.valid).toBe(true);
      // The old key keeps working for its grace period.
      expect((await h().verify(world.alice.plain.key)).body.valid).toBe(true);
      const old = await h().get("/v1/keys.getKey", { keyId: world.alice.plain.keyId }, ws.rootKey);
      expect(old.body.expires).toBeGreaterThan(Date.now());
      expect(old.body.expires).toBeLessThanOrEqual(Date.now() + 60_000);

      // Another identity's key: 404, as the SDK knows it.
      expect(await failure(unkey.portal.rerollKey({ portalSession }, { keyId: world.bob.keyId, expiration: 0 }))).toBeInstanceOf(errors.NotFoundErrorResponse);
    });

    test("without the portal permission createSession is a 404; a scope the root key could not use itself is a 403", async () => {
      const { sdk } = v2();
      const ws = await h().workspace();
      const world = await portalWorld(h(), ws);
      const none = await h().rootKey(ws, ["api.*.read_key", "api.*.read_api"]);
      expect(await failure(sdk(none.key).portal.createSession({ portal: world.portalId, externalId: "alice", scopes: ["keys:read"] }))).toBeInstanceOf(errors.NotFoundErrorResponse);
      const minter = await h().rootKey(ws, [`portal.${world.portalId}.create_portal_session`, "api.*.read_key", "api.*.read_api"]);
      await sdk(minter.key).portal.createSession({ portal: world.portalId, externalId: "alice", scopes: ["keys:read"] });
      expect(await failure(sdk(minter.key).portal.createSession({ portal: world.portalId, externalId: "alice", scopes: ["keys:reroll"] }))).toBeInstanceOf(errors.ForbiddenErrorResponse);
    });
  },
  { vault: true },
);
