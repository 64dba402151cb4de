import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRoute, runApi, runHref, streamUrl } from '../web/router.js';

test('the base path is the overview, with or without its trailing slash', () => {
  assert.equal(parseRoute('/', '?status=stale', '/'), {
    page: 'overview',
    search: '?status=stale',
  });
  assert.equal(parseRoute('/x/', '', '/x/'), { page: 'overview', search: '' });
  assert.equal(parseRoute('/x', '', '/x/'), { page: 'overview', search: '' });
  assert.is(parseRoute('/xy/', '', '/x/').page, 'not_found');
});

test('a run page decodes its names and its worker', () => {
  assert.equal(parseRoute('/x/runs/a%2Fb/%3Cscript%3E', '?worker=w%201', '/x/'), {
    page: 'run',
    run: 'a/b',
    process: '<script>',
    worker: 'w 1',
  });
  assert.equal(parseRoute('/runs/r/p', '', '/'), {
    page: 'run',
    run: 'r',
    process: 'p',
    worker: null,
  });
});

test('malformed escapes and other paths are not found, never a throw', () => {
  assert.is(parseRoute('/runs/%E0%A4%A/p', '', '/').page, 'not_found');
  assert.is(parseRoute('/runs/r', '', '/').page, 'not_found');
  assert.is(parseRoute('/runs/r/p/extra', '', '/').page, 'not_found');
  assert.is(parseRoute('/runs//p', '', '/').page, 'not_found');
  assert.is(parseRoute('/api/runs', '', '/').page, 'not_found');
});

test('links and API paths are relative and encode every name as one segment', () => {
  const run = 'a/b?c#d';
  const process = '<img onerror=x> %';
  const href = runHref(run, process, 'w/1');
  assert.is(href, 'runs/a%2Fb%3Fc%23d/%3Cimg%20onerror%3Dx%3E%20%25?worker=w%2F1');
  const url = new URL(href, 'http://h/base/');
  assert.equal(parseRoute(url.pathname, url.search, '/base/'), {
    page: 'run',
    run,
    process,
    worker: 'w/1',
  });
  assert.is(runApi(run, process, null), 'api/runs/a%2Fb%3Fc%23d/%3Cimg%20onerror%3Dx%3E%20%25');
  assert.is(runApi('r', 'p', 'w', '/timeline'), 'api/runs/r/p/timeline?worker=w');
  assert.is(streamUrl(), 'api/stream');
  assert.is(streamUrl('r&x', 'p'), 'api/stream?run=r%26x&process=p');
});

test.run();
