import { afterAll, beforeAll, expect, test } from "vitest";
import { type ErrorCode, errorStatus } from "../../src/errors.ts";
import { forEachDatabase } from "../harness.ts";
import { TestVault } from "../vault-harness.ts";

const codes = Object.keys(errorStatus) as ErrorCode[];

/** The section of `html` whose id is the link's anchor, or null. */
function section(html: string, anchor: string): string | null {
  return html.match(new RegExp(`<section id="${anchor}">([\\s\\S]*?)</section>`))?.[1] ?? null;
}

forEachDatabase("error bodies link to a page this Keyhold serves", (h) => {
  test("the `docs` link of an error body, followed from the request's URL, answers 200 with the code's section", async () => {
    const errors = [
      await h().call("GET", "/v1/apis.getApi", { query: { apiId: "api_x" } }), // no root key
      await h().call("POST", "/v1/apis.createApi", { rawBody: "{", headers: { "Content-Type": "application/json" }, token: (await h().workspace()).rootKey }),
      await h().call("GET", "/v1/nothing-here"),
    ];
    expect(errors.map((e) => e.body.error.code)).toEqual(["UNAUTHORIZED", "BAD_REQUEST", "NOT_FOUND"]);
    for (const { body } of errors) {
      const link = new URL(body.error.docs, "http://127.0.0.1:8787/v1/apis.getApi"); // as a client resolves it
      expect(link.host).toBe("127.0.0.1:8787"); // this server, not a domain of someone else
      expect(link.hash).toBe(`#${body.error.code}`);
      const page = await h().app.request(link.pathname);
      expect(page.status).toBe(200);
      expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(section(await page.text(), body.error.code)).toMatch(/HTTP \d{3}/);
    }
  });

  test("the page has a section for every error code, needs no root key and loads nothing", async () => {
    const page = await h().app.request("/docs/errors");
    const html = await page.text();
    for (const code of codes) expect(section(html, code), code).toContain(`HTTP ${errorStatus[code]}`);
    expect(html).not.toMatch(/<script|https?:\/\//i);
    expect(page.headers.get("Content-Security-Policy")).toMatch(/^default-src 'none'/);
  });
});

let tv: TestVault;
beforeAll(async () => (tv = await TestVault.start()));
afterAll(async () => await tv?.destroy());

test("the vault's error bodies link to the same page, served by the vault", async () => {
  const res = await fetch(`${tv.url}/vault.v1/decrypt`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  expect(res.status).toBe(401);
  const { error } = (await res.json()) as { error: { code: string; docs: string } };
  const page = await fetch(new URL(error.docs, res.url));
  expect(page.status).toBe(200);
  expect(section(await page.text(), error.code)).toMatch(/HTTP 401/);
});
