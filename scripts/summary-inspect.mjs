#!/usr/bin/env node
/**
 * `pnpm summary-inspect …` at the repository root: runs the CLI of this checkout. The bare
 * `summary-inspect` command exists only where the package is installed; here the workspace
 * packages are built first when their sources are newer than their build (after a fresh
 * install or a change), then the built entry runs in this process, in the caller's directory.
 * A failed build's output goes to stderr, so `--json` on stdout stays clean.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'packages', 'cli');

/** The newest mtime under `dir` (milliseconds), 0 when it does not exist. */
function newest(dir) {
  let latest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The workspace packages the CLI loads (its `@process-summary/*` dependencies, and the optional
 * peers it imports for a `postgres://` store), and itself.
 */
function packagesToBuild() {
  const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'));
  const loaded = { ...manifest.dependencies, ...manifest.peerDependencies };
  const names = Object.keys(loaded).filter((n) => n.startsWith('@process-summary/'));
  return [cli, ...names.map((n) => join(repo, 'packages', n.slice('@process-summary/'.length)))];
}

function stale(dir) {
  let built = 0;
  try {
    built = statSync(join(dir, 'dist', '.tsbuildinfo')).mtimeMs;
  } catch {
    return true;
  }
  return newest(join(dir, 'src')) > built;
}

if (packagesToBuild().some(stale)) {
  process.stderr.write('summary-inspect: building the workspace packages first…\n');
  const build = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@process-summary/cli...',
      '--output-logs=errors-only',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (build.status !== 0) {
    // Only a failed build is worth showing: it goes to stderr, stdout stays the CLI's.
    process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}`);
    process.stderr.write('summary-inspect: the build failed (see above)\n');
    process.exit(build.status ?? 1);
  }
}
await import(pathToFileURL(join(cli, 'dist', 'main.js')).href);
