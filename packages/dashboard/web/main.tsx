/** The dashboard's pages: the overview and a run page, routed on the client. */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { ErrorBoundary } from './common.js';
import { interceptLinks, useRoute } from './nav.js';
import { Overview } from './overview.js';
import type { Route } from './router.js';
import { RunPage } from './run.js';

function App() {
  const route = useRoute();
  // Paused stays paused across pages: the reader chose to freeze what they look at.
  const [live, setLive] = useState(true);
  const key =
    route.page === 'run'
      ? `${route.run}\u0000${route.process}\u0000${route.worker ?? ''}`
      : route.page;
  return (
    <ErrorBoundary key={key}>
      <Page route={route} live={live} setLive={setLive} />
    </ErrorBoundary>
  );
}

function Page({
  route,
  live,
  setLive,
}: {
  route: Route;
  live: boolean;
  setLive: (live: boolean) => void;
}) {
  if (route.page === 'overview') return <Overview route={route} live={live} setLive={setLive} />;
  if (route.page === 'run') {
    return <RunPage route={route} live={live} setLive={setLive} />;
  }
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        There is no page here. <a href="./">See all runs</a>.
      </p>
    </main>
  );
}

const root = document.getElementById('app') as HTMLElement;
interceptLinks(document.body);
render(<App />, root);
