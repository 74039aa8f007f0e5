import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";

/**
 * Reads a Dockerfile and replays its steps without a Docker engine: each stage gets a
 * directory standing for its file system, COPY copies, RUN runs the same shell line, and
 * ENV/WORKDIR/CMD/HEALTHCHECK are kept for starting the result. Absolute paths of the image
 * (the ones the Dockerfile itself uses) are mapped into the stage's directory.
 */
export interface Instruction {
  op: string;
  args: string;
}

export function parseDockerfile(text: string): Instruction[] {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  return lines
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(" ") };
    });
}

export interface Stage {
  name: string;
  image: string;
  root: string;
  workdir: string;
  /** ENV as the process will see it: image paths mapped into `root`. */
  env: Record<string, string>;
  user?: string;
  volumes: string[];
  cmd?: string[];
  healthcheck?: string[];
}

export interface ReplayOptions {
  context: string;
  into: string;
  /** Runs a RUN line; the default runs it with sh in the stage's working directory. */
  log?: (line: string) => void;
  /** Directories put first on PATH for RUN lines (shims for what the base image has). */
  shims?: string;
}

export function replay(instructions: Instruction[], options: ReplayOptions): Stage[] {
  const stages: Stage[] = [];
  const roots = absoluteRoots(instructions);
  const map = (stage: Stage, text: string) =>
    text.replace(new RegExp(`(^|[\\s='"(])(${roots.map((r) => r.replace(/[/]/g, "\\/")).join("|")})(?=[/\\s'")]|$)`, "g"), (_, pre, path) => `${pre}${join(stage.root, path)}`);
  let stage: Stage | undefined;
  for (const { op, args } of instructions) {
    if (op === "FROM") {
      const [image, as, name] = args.split(/\s+/);
      const id = as?.toUpperCase() === "AS" && name ? name : `stage${stages.length}`;
      stage = { name: id, image: image!, root: join(options.into, id), workdir: "/", env: {}, volumes: [] };
      mkdirSync(stage.root, { recursive: true });
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${op} before FROM`);
    const s = stage;
    const inStage = (path: string) => (isAbsolute(path) ? join(s.root, path) : join(s.root, s.workdir, path));
    switch (op) {
      case "WORKDIR":
        s.workdir = isAbsolute(args) ? args : join(s.workdir, args);
        mkdirSync(inStage("."), { recursive: true });
        break;
      case "ENV":
        for (const pair of args.split(/\s+/)) {
          const [key, value] = pair.split("=");
          s.env[key!] = map(s, value!);
        }
        break;
      case "COPY": {
        const parts = args.split(/\s+/);
        const from = parts.find((p) => p.startsWith("--from="))?.slice("--from=".length);
        const paths = parts.filter((p) => !p.startsWith("--"));
        const dest = paths.pop()!;
        const source = from ? stages.find((x) => x.name === from)! : null;
        for (const src of paths) {
          const srcPath = source ? join(source.root, src) : join(options.context, src);
          const toDir = dest.endsWith("/") || paths.length > 1;
          const target = statSync(srcPath).isDirectory() || !toDir ? inStage(dest) : join(inStage(dest), basename(src));
          cpSync(srcPath, target, { recursive: true });
        }
        break;
      }
      case "RUN": {
        const line = map(s, args);
        options.log?.(`[${s.name}] RUN ${args}`);
        const env = { ...process.env, ...s.env, ...(options.shims && { PATH: `${options.shims}:${process.env.PATH}` }) };
        execFileSync("sh", ["-c", line], { cwd: inStage("."), env, stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
        break;
      }
      case "USER":
        s.user = args;
        break;
      case "VOLUME":
        s.volumes.push(...(JSON.parse(args) as string[]));
        break;
      case "CMD":
        s.cmd = JSON.parse(args) as string[];
        break;
      case "HEALTHCHECK":
        s.healthcheck = JSON.parse(args.slice(args.indexOf("CMD ") + 4)) as string[];
        break;
      case "EXPOSE":
        break;
      default:
        throw new Error(`the replay does not know ${op}`);
    }
  }
  return stages;
}

/** The top-level directories of the image the Dockerfile names: WORKDIR, VOLUME, ENV values, COPY --from sources. */
function absoluteRoots(instructions: Instruction[]): string[] {
  const roots = new Set<string>();
  const add = (path: string) => path.startsWith("/") && path.length > 1 && roots.add(`/${path.split("/")[1]}`);
  for (const { op, args } of instructions) {
    if (op === "WORKDIR") add(args);
    if (op === "VOLUME") (JSON.parse(args) as string[]).forEach(add);
    if (op === "ENV") args.split(/\s+/).forEach((pair) => add(pair.split("=")[1] ?? ""));
    if (op === "COPY" && args.includes("--from=")) add(args.split(/\s+/).filter((p) => !p.startsWith("--"))[0]!);
  }
  return [...roots];
}

/** A PATH directory with a no-op `chown`: the image's `node` user does not exist on this machine. */
export function chownShim(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "chown"), "#!/bin/sh\n# The image's users do not exist here; files stay the test user's.\nexit 0\n");
  chmodSync(join(dir, "chown"), 0o755);
  return dir;
}
