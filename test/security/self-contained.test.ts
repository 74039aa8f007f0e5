import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { root } from "../cli/processes.ts";
import { findOutsideReferences } from "./outside-references.ts";

/**
 * A fresh clone has nothing beside it: no file of the project may read or link anything
 * outside the repository (issue 10: the Wycheproof test read its vectors from the shared
 * folder beside the checkout and passed only on development machines). Scans every file git knows (tracked, and new ones not
 * ignored), so a stray reference fails here before it reaches a commit.
 */
function projectFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" });
  return out.split("\0").filter((file) => file !== "" && existsSync(join(root, file)));
}

// Built at run time so that this file itself holds no such reference.
const up = "..";
const planted = [
  `const file = new URL("${up}/${up}/${up}/shared/vectors/wycheproof-aes256-gcm.json", import.meta.url);`, // the old 09 test
  "The HTTP contract is in `" + up + "/shared/api-contract.md`.",
  `See [the notes](${up}/${up}/${up}/notes.md).`,
  `readFileSync("${"/work"}/shared/style.md")`,
  `import { x } from "${up}/${up}/${up}/elsewhere/x.ts";`,
];
const harmless = [
  `import { root } from "${up}/cli/processes.ts";`,
  `const migrationsFolder = fileURLToPath(new URL("${up}/${up}/drizzle", import.meta.url));`,
  "See [the contract](docs/api-contract.md) and `/openapi.json`.",
  'const executablePath = "/usr/bin/chromium";',
];

describe("the repository is self-contained", () => {
  test("the scan catches each planted outside reference and none of the harmless ones", () => {
    const file = "test/adversarial/planted.test.ts";
    expect(planted.map((line) => findOutsideReferences(file, line, root).length)).toEqual(planted.map(() => 1));
    expect(harmless.flatMap((line) => findOutsideReferences(file, line, root))).toEqual([]);
  });

  test("no file of the project refers to the shared folder or to a path outside the repository", () => {
    const files = projectFiles();
    expect(files).toContain("test/adversarial/09-wycheproof.test.ts"); // the listing is the real one
    const found = files
      .map((file) => ({ file, bytes: readFileSync(join(root, file)) }))
      .filter(({ bytes }) => !bytes.includes(0)) // text files only
      .flatMap(({ file, bytes }) => findOutsideReferences(file, bytes.toString("utf8"), root));
    const report = found.map((f) => `${f.file}:${f.line}: ${f.why}\n    ${f.text}`).join("\n");
    expect(report, `files that reach outside the repository (copy what they need into it):\n${report}`).toBe("");
  });
});
