import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";

type PostgresMod = Parameters<NodeFS["init"]>[1];
type SetAttr = (target: unknown, attr: { mode?: number }) => void;
type MkNod = (parent: unknown, name: string, mode: number, dev: number) => unknown;
interface NodeFsOps {
  node_ops: { setattr: SetAttr; mknod: MkNod };
  stream_ops: { setattr: SetAttr };
}

const OTHERS = 0o077; // group and world bits

/**
 * PGlite's on-disk file system (Emscripten's NODEFS) with every mode it sets stripped of
 * group and world bits. Emscripten's open() chmods each new file to the mode its caller
 * asked for, whatever the process umask, and initdb and the loading of a template ask for
 * 0666: a fresh data dir had 968 world-writable files. Masking where NODEFS creates and
 * chmods holds for every path that writes through it, with no window between two sweeps.
 */
export class PrivateNodeFS extends NodeFS {
  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // before NodeFS makes it with the umask's mode
    super(dataDir);
  }

  override async init(pg: PGlite, opts: Partial<PostgresMod>) {
    const { emscriptenOpts } = await super.init(pg, opts);
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), (mod: PostgresMod) => maskModes(mod.NODEFS as unknown as NodeFsOps)] } };
  }
}

/** Patches one module's NODEFS (each PGlite instance has its own); refuses a NODEFS of another shape. */
function maskModes(nodefs: NodeFsOps): void {
  const { node_ops: nodeOps, stream_ops: streamOps } = nodefs;
  if (typeof nodeOps?.setattr !== "function" || typeof nodeOps.mknod !== "function" || typeof streamOps?.setattr !== "function") {
    throw new Error("PGlite's NODEFS has changed shape: cannot keep the data directory's files private");
  }
  const mask = (setattr: SetAttr): SetAttr => (target, attr) => setattr(target, attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~OTHERS });
  const mknod = nodeOps.mknod;
  nodeOps.setattr = mask(nodeOps.setattr);
  streamOps.setattr = mask(streamOps.setattr);
  nodeOps.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~OTHERS, dev);
}
