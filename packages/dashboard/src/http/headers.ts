/**
 * The headers every answer carries, whatever it is (a page, an asset, JSON, an error, the
 * event stream): the pages may only load what this server serves, never be framed, never be
 * sniffed into another type, and never send a referrer elsewhere.
 */
import type { ServerResponse } from 'node:http';

/** The Content-Security-Policy of every answer: nothing inline, nothing from another origin. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

/** The security headers, as a plain object (the event stream sets its own headers with them). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** Sets {@link SECURITY_HEADERS} on `response` (before anything else, so no answer lacks them). */
export function setSecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
}
