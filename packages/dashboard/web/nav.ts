/** Client-side navigation: links under the base change the page without a reload. */
import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './router.js';

const ROUTE_CHANGE = 'ps-route';

/** The base path from `<base href>` (ends in `/`). */
export function basePath(): string {
  const path = new URL(document.baseURI).pathname;
  return path.endsWith('/') ? path : `${path}/`;
}

function currentRoute(): Route {
  return parseRoute(location.pathname, location.search, basePath());
}

/** Goes to `href` (relative to the base) with `pushState`, or `replaceState` when `replace`. */
export function navigate(href: string, replace = false): void {
  const url = new URL(href, document.baseURI);
  if (url.href === location.href) return;
  if (replace) history.replaceState(null, '', url.href);
  else history.pushState(null, '', url.href);
  window.dispatchEvent(new Event(ROUTE_CHANGE));
}

/** The current route, following `popstate` and {@link navigate}. */
export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    window.addEventListener(ROUTE_CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(ROUTE_CHANGE, update);
    };
  }, []);
  return route;
}

/**
 * Follows a click on a link under the base in the page itself (a plain left click without
 * modifier keys on a link without `target` or `download`); everything else is the browser's.
 */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest('a');
    if (
      anchor === null ||
      anchor === undefined ||
      anchor.target !== '' ||
      anchor.hasAttribute('download')
    )
      return;
    const url = new URL(anchor.href);
    if (url.origin !== location.origin) return;
    if (parseRoute(url.pathname, url.search, basePath()).page === 'not_found') return;
    event.preventDefault();
    navigate(url.href);
    window.scrollTo(0, 0);
  });
}

/** What every page gets. */
export interface PageProps<P extends Route['page']> {
  route: Extract<Route, { page: P }>;
  live: boolean;
  setLive: (live: boolean) => void;
}
