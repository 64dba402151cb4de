/**
 * The pages' routes, on `history.pushState` and `popstate` (no router library): `{base}` is
 * the overview, `{base}runs/<run>/<process>[?worker=W]` a run page. `{base}` is the
 * document's `<base href>`; every link is relative to it.
 */

export type Route =
  | { page: 'overview'; search: string }
  | { page: 'run'; run: string; process: string; worker: string | null }
  | { page: 'not_found'; path: string };

/**
 * The route of `pathname` + `search` under `basePath` (which ends in `/`). Names are decoded
 * path segments; a malformed escape or an extra segment is `not_found`, never a throw.
 */
export function parseRoute(pathname: string, search: string, basePath: string): Route {
  if (!pathname.startsWith(basePath)) {
    // The server serves the page for `{base}` without its slash too (`/x` for `/x/`).
    return pathname === basePath.slice(0, -1)
      ? { page: 'overview', search }
      : { page: 'not_found', path: pathname };
  }
  const rest = pathname.slice(basePath.length);
  if (rest === '') return { page: 'overview', search };
  const parts = rest.split('/');
  if (parts.length === 3 && parts[0] === 'runs' && parts[1] !== '' && parts[2] !== '') {
    try {
      const run = decodeURIComponent(parts[1] as string);
      const process = decodeURIComponent(parts[2] as string);
      return { page: 'run', run, process, worker: new URLSearchParams(search).get('worker') };
    } catch {
      return { page: 'not_found', path: pathname };
    }
  }
  return { page: 'not_found', path: pathname };
}

/** The link to a run page, relative to the base. */
export function runHref(run: string, process: string, worker?: string | null): string {
  const path = `runs/${encodeURIComponent(run)}/${encodeURIComponent(process)}`;
  return worker == null ? path : `${path}?worker=${encodeURIComponent(worker)}`;
}

/** The API path of a run (`api/runs/<run>/<process>`), `suffix` and the worker query added. */
export function runApi(run: string, process: string, worker: string | null, suffix = ''): string {
  const path = `api/runs/${encodeURIComponent(run)}/${encodeURIComponent(process)}${suffix}`;
  return worker === null ? path : `${path}?worker=${encodeURIComponent(worker)}`;
}

/** The stream of one process's changes. */
export function streamUrl(run?: string, process?: string): string {
  if (run === undefined || process === undefined) return 'api/stream';
  return `api/stream?run=${encodeURIComponent(run)}&process=${encodeURIComponent(process)}`;
}
