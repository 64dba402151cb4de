#!/usr/bin/env node
/**
 * `pnpm summary-inspect …` at the repository root: runs the CLI of this checkout. The bare
 * `summary-inspect` command exists only where the package is installed; here the workspace
 * packages are built first when their sources are newer than their build (after a fresh
 * install or a change), then the built entry runs in this process, in the caller's directory.
 * A failed build's output goes to stderr, so `--json` on stdout stays clean.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
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

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function stale(dir) {
  const built = mtime(join(dir, 'dist', '.tsbuildinfo'));
  if (built === 0 || newest(join(dir, 'src')) > built) return true;
  // The dashboard's pages are built from web/ by its build script into dist/web.
  if (newest(join(dir, 'web')) === 0) return false;
  const pages = mtime(join(dir, 'dist', 'web', 'index.html'));
  return pages === 0 || Math.max(newest(join(dir, 'web')), newest(join(dir, 'scripts'))) > pages;
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
  // turbo replays an unchanged build from its cache without rewriting the files, so a source
  // touched but not changed would look newer than its build on every run: the build is current
  // now, and its markers say so.
  const now = new Date();
  for (const dir of packagesToBuild()) {
    for (const marker of [
      join(dir, 'dist', '.tsbuildinfo'),
      join(dir, 'dist', 'web', 'index.html'),
    ]) {
      if (mtime(marker) !== 0) utimesSync(marker, now, now);
    }
  }
}
await import(pathToFileURL(join(cli, 'dist', 'main.js')).href);
