import { expect, test } from "vitest";
import { createLogger } from "./logger.ts";

function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (line: string) => lines.push(line) > 0 } };
}

test("LOG_FORMAT forces JSON or readable lines; unset, the terminal decides; redaction comes first either way", () => {
  const secret = "sk_3ZbEwq9XkLmN2pQ7rS5tUvW8yA";
  const cases = [
    { format: null, isTTY: false, json: true },
    { format: null, isTTY: true, json: false },
    { format: "json", isTTY: true, json: true },
    { format: "pretty", isTTY: false, json: false },
  ] as const;
  for (const { format, isTTY, json } of cases) {
    const { lines, stream } = capture(isTTY);
    createLogger({ logLevel: "info", logFormat: format }, stream).info({ key: secret, route: "/v1/keys.verifyKey" }, "request");
    expect(lines, `${format} on ${isTTY ? "a terminal" : "a pipe"}`).toHaveLength(1);
    const line = lines[0]!;
    if (json) expect(JSON.parse(line)).toMatchObject({ msg: "request", key: "[redacted]", route: "/v1/keys.verifyKey" });
    else expect(line).toMatch(/^\d\d:\d\d:\d\d INFO  request key=\[redacted\] route=\/v1\/keys\.verifyKey\n$/);
    expect(line).not.toContain(secret);
  }
});
