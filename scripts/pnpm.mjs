#!/usr/bin/env node
// Runs the pinned pnpm (package.json "packageManager") without a global install:
// corepack cannot verify the registry's signatures on this kind of machine, npx can fetch it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const { packageManager } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
);
const result = spawnSync('npx', ['-y', packageManager, ...process.argv.slice(2)], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
process.exit(result.status ?? 1);
