import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always settles. Node's `mkdir(path, { recursive: true })` spins forever on
 * a path under /proc or /sys (nodejs/node's recursive mkdir reads the ENOENT procfs gives for
 * a child it cannot hold as "the parent is missing" and retries the parent, which exists):
 * a service given `SEARCH_SNAPSHOT_DIR=/proc/x` hung at start. This creates each missing
 * level itself, so that ENOENT is thrown like any other error.
 */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    const stats = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (stats?.isDirectory()) break;
    if (stats !== undefined) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}' (${current})`), {
        code: 'ENOTDIR',
      });
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing.reverse()) {
    await mkdir(directory).catch(async (error: NodeJS.ErrnoException) => {
      // Another process made it between the stat and here.
      if (error.code === 'EEXIST' && (await stat(directory)).isDirectory()) return;
      throw error;
    });
  }
}
