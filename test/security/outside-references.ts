import { dirname, isAbsolute, relative, resolve } from "node:path";

/**
 * Finds lines of the project's own files that refer to something outside the repository:
 * a clone has nothing beside it, so such a reference works only on a development machine.
 *
 * - the development machines' `shared` folder beside the checkout, however it is reached;
 * - a relative path (`../…` in quotes, backticks or a Markdown link) that, resolved from the
 *   file's own folder (how imports, `new URL(…, import.meta.url)` and links resolve), lands
 *   outside the repository root;
 * - an absolute path into someone's machine (under /work, /home or /Users).
 */
export interface OutsideReference {
  file: string;
  line: number;
  text: string;
  why: string;
}

const SHARED = /\.\.\/shared\b/;
const RELATIVE = /(?:^|["'`(\s=])(\.\.\/[^\s"'`)<>]*)/g;
const MACHINE = /(?:^|["'`(\s=])((?:\/work|\/home|\/Users)\/[^\s"'`)<>]*)/;

export function findOutsideReferences(file: string, text: string, root: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  const folder = resolve(root, dirname(file));
  text.split("\n").forEach((content, index) => {
    const at = (why: string) => found.push({ file, line: index + 1, text: content.trim(), why });
    if (SHARED.test(content)) return at("refers to the shared folder, which exists only beside a development checkout");
    const machine = MACHINE.exec(content);
    if (machine) return at(`names ${machine[1]}, a path on someone's machine`);
    for (const [, path] of content.matchAll(RELATIVE)) {
      const inside = relative(root, resolve(folder, path!));
      if (inside.startsWith("..") || isAbsolute(inside)) return at(`${path} resolves to ${resolve(folder, path!)}, outside the repository`);
    }
  });
  return found;
}
