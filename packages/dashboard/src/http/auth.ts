/**
 * The token check. A request proves it knows the token by `Authorization: Bearer <token>` or
 * by basic auth with any user name and the token as password (what a browser prompts for).
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`: equal lengths whatever was
 * sent, so neither the content nor the length of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The realm a browser shows in its prompt; `charset` says the password is UTF-8. */
export const WWW_AUTHENTICATE = 'Basic realm="process-summary dashboard", charset="UTF-8"';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The secret a request presents (bearer token or basic password), or `null` when none. */
export function presentedSecret(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^\s*(\S+)\s+(.*?)\s*$/.exec(header);
  if (match === null) return null;
  const scheme = (match[1] as string).toLowerCase();
  const value = match[2] as string;
  if (scheme === 'bearer') return value === '' ? null : value;
  if (scheme !== 'basic' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/** A checker of requests against `token`. */
export function tokenChecker(token: string): (request: IncomingMessage) => boolean {
  const expected = digest(token);
  return (request) => {
    const secret = presentedSecret(request);
    // A digest is compared even without a secret, so a missing header costs the same.
    const ok = timingSafeEqual(digest(secret ?? ''), expected);
    return ok && secret !== null;
  };
}
