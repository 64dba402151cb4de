/**
 * The pages and their assets, from the build output (`dist/web`), read once when the server is
 * created into a lookup table: name -> bytes, gzip bytes, ETag, type. A request is answered
 * by looking its path up in that table, never by joining request input to a directory, so no
 * path (`..`, `%2e%2e`, backslashes, absolute paths, symlinks) can reach a file outside the
 * build output: what is not a key of the table does not exist.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { sendBody, sendText } from './json.js';

/** One file ready to serve. */
export interface Asset {
  body: Buffer;
  /** The gzip encoding, when it is smaller. */
  gzip: Buffer | null;
  etag: string;
  type: string;
  cacheControl: string;
}

/** The build output as served: `index` is the page with the base path filled in. */
export interface WebAssets {
  /** `null` when there is no build output (`pnpm build` was not run): pages answer 503. */
  index: Asset | null;
  /** By path relative to the base, e.g. `assets/app-HASH.js`. */
  files: ReadonlyMap<string, Asset>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = /^(text\/|image\/svg|application\/json)/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Where the build output is: `<package>/dist/web`. This module is `src/http/assets.ts` when
 * run from source (tests) and `dist/http/assets.js` when built; both are two levels under
 * the package directory.
 */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../dist/web/', import.meta.url));
}

/** `text` escaped for an HTML attribute value (the base path goes into `<base href>`). */
export function escapeHtmlAttribute(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

function typeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return (
    (dot === -1 ? undefined : TYPES[name.slice(dot).toLowerCase()]) ?? 'application/octet-stream'
  );
}

function assetOf(body: Buffer, type: string, cacheControl: string): Asset {
  const gzipped = COMPRESSIBLE.test(type) ? gzipSync(body, { level: 9 }) : null;
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return {
    body,
    gzip: gzipped !== null && gzipped.length < body.length ? gzipped : null,
    etag: `"${hash}"`,
    type,
    cacheControl,
  };
}

/**
 * Reads the build output in `dir` into a {@link WebAssets} table, `%BASE%` in index.html
 * replaced by the (attribute-escaped) base path. Only regular files under `assets/` are
 * taken; a missing directory gives an empty table and no index.
 */
export function loadWebAssets(dir: string, basePath: string): WebAssets {
  const files = new Map<string, Asset>();
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath) || !lstatSync(indexPath).isFile()) return { index: null, files };
  const template = readFileSync(indexPath, 'utf8');
  const page = template.replaceAll('%BASE%', escapeHtmlAttribute(basePath));
  const index = assetOf(Buffer.from(page, 'utf8'), 'text/html; charset=utf-8', 'no-cache');
  const assetsDir = join(dir, 'assets');
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const path = join(assetsDir, name);
      // A symbolic link could point anywhere: only regular files of the build are served.
      if (!lstatSync(path).isFile()) continue;
      files.set(`assets/${name}`, assetOf(readFileSync(path), typeOf(name), IMMUTABLE));
    }
  }
  return { index, files };
}

/** Whether `If-None-Match` names `etag` (weak comparison, `*` included). */
function notModified(request: IncomingMessage, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

function acceptsGzip(request: IncomingMessage): boolean {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Answers with `asset`: 304 when the client has it, gzip when it accepts it. */
export function sendAsset(request: IncomingMessage, response: ServerResponse, asset: Asset): void {
  const headers: Record<string, string> = {
    ETag: asset.etag,
    'Cache-Control': asset.cacheControl,
    Vary: 'Accept-Encoding',
  };
  if (notModified(request, asset.etag)) {
    response.statusCode = 304;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.end();
    return;
  }
  if (asset.gzip !== null && acceptsGzip(request)) {
    sendBody(request, response, 200, asset.type, asset.gzip, {
      ...headers,
      'Content-Encoding': 'gzip',
    });
    return;
  }
  sendBody(request, response, 200, asset.type, asset.body, headers);
}

/** The answer for a page when there is no build output. */
export function sendNoBuild(request: IncomingMessage, response: ServerResponse): void {
  sendText(
    request,
    response,
    503,
    'The dashboard pages are not built: run `pnpm build` in packages/dashboard (the JSON API under api/ works without them).',
  );
}
