/**
 * The two things store-fs asks of `node:crypto`, which is loaded on their first use instead of
 * at import: importing it costs every process about 3 ms (some twenty internal modules), and a
 * reader such as `summary-inspect list` or `show` never needs it. Only writers do: temp file
 * names, owner and lock tokens, host tags, hashed state file names.
 */
import { createRequire } from 'node:module';

type NodeCrypto = typeof import('node:crypto');
let loaded: NodeCrypto | undefined;

function nodeCrypto(): NodeCrypto {
  // A synchronous require of a built-in: resolves the same from any file, bundled or not.
  loaded ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto;
  return loaded;
}

/** `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex');
}

/** The SHA-256 of `text` (UTF-8) as hex. */
export function sha256Hex(text: string): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}

/** Whether `node:crypto` has been loaded through this module (for tests). */
export function cryptoLoaded(): boolean {
  return loaded !== undefined;
}
