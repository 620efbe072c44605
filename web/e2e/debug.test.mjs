// Browser test of the debug page: starts `nodelist demo` (a simulated fleet
// and the service in one process), waits for a finished refresh round, then
// drives Debian's Chromium through playwright-core against /debug.html and /.
// demo.mjs lists the environment variables it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  getJSON, screenshotPath, useDemo,
} from './demo.mjs';

const NODES = 60;
const REFRESH_TIMEOUT_MS = 120_000;
const UI_TIMEOUT_MS = 15_000;

let server; // {proc, base, output()}
let browser;
let page;
const pageErrors = [];

async function rowCount() {
  return page.locator('#crns tbody tr').count();
}

async function waitRows(n) {
  await page.waitForFunction((want) => document.querySelectorAll('#crns tbody tr').length === want, n, {
    timeout: UI_TIMEOUT_MS,
  });
}

// gotoAndCapture loads url and returns the crns.json body the page fetched,
// so assertions compare with exactly what the page rendered even while the
// demo keeps refreshing.
async function gotoAndCapture(url) {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/crns.json'), { timeout: UI_TIMEOUT_MS }),
    page.goto(url),
  ]);
  return resp.json();
}

function matches(crn, needle) {
  const key = `${crn.name ?? ''}\n${crn.hash ?? ''}\n${crn.address ?? ''}`.toLowerCase();
  return key.includes(needle.toLowerCase());
}

useDemo({ prefix: 'nodelist-e2e-', nodes: NODES, uiTimeout: UI_TIMEOUT_MS, errors: pageErrors }, (s) => {
  ({ server, browser, page } = s);
});

test('debug page lists every CRN', { timeout: 60_000 }, async () => {
  const doc = await gotoAndCapture(`${server.base}/debug.html`);
  assert.equal(doc.crns.length, NODES);
  await waitRows(doc.crns.length);
  assert.equal(await rowCount(), doc.crns.length);

  const countText = await page.locator('#row-count').textContent();
  assert.match(countText, new RegExp(`\\b${NODES}\\b`), `#row-count: ${countText}`);
  // Times are written one way on every page (when.js): UTC to the
  // minute, with how long ago; datetime keeps last_refresh whole.
  assert.equal(await page.locator('#last-refresh').getAttribute('datetime'), doc.last_refresh);
  assert.match(await page.locator('#last-refresh').textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC \(/);

  // Rows of nodes whose probes failed are marked.
  const failing = doc.crns.filter(
    (c) => c.debug_config_from_crn_error !== 'None' || c.usage_from_crn_error !== 'None',
  ).length;
  assert.equal(await page.locator('#crns tbody tr.failing').count(), failing);

  // Node strings end up as text, never as markup.
  assert.equal(await page.locator('#crns tbody img, #crns tbody script').count(), 0);
  for (const link of await page.locator('#crns tbody a').all()) {
    assert.match(await link.getAttribute('href'), /^https?:\/\//i);
  }
});

test('filter narrows rows by name', { timeout: 60_000 }, async () => {
  const doc = await gotoAndCapture(`${server.base}/debug.html`);
  await waitRows(doc.crns.length);
  // The longest name is the most selective one.
  const named = doc.crns.filter((c) => typeof c.name === 'string' && c.name !== '');
  assert.ok(named.length > 0, 'no CRN has a name');
  const name = named.reduce((a, b) => (b.name.length > a.name.length ? b : a)).name;
  const want = doc.crns.filter((c) => matches(c, name)).length;
  assert.ok(want < doc.crns.length, `filter ${JSON.stringify(name)} matches every CRN`);

  await page.locator('#filter').fill(name);
  await waitRows(want);
  assert.match(await page.locator('#row-count').textContent(), new RegExp(`^${want} of ${doc.crns.length} CRN`));

  await page.locator('#filter').fill('');
  await waitRows(doc.crns.length);
});

test('hide inactive shows only active CRNs', { timeout: 60_000 }, async () => {
  const all = await gotoAndCapture(`${server.base}/debug.html`);
  await waitRows(all.crns.length);
  const active = all.crns.filter((c) => c.inactive_since === null).length;
  assert.ok(active < all.crns.length, 'the demo fleet has no inactive CRN');

  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('crns.json?filter_inactive=true')),
    page.locator('#hide-inactive').check(),
  ]);
  const filtered = await resp.json();
  assert.equal(filtered.crns.length, active);
  assert.ok(filtered.crns.every((c) => c.inactive_since === null));
  await waitRows(filtered.crns.length);

  const direct = await getJSON(`${server.base}/crns.json?filter_inactive=true`);
  assert.equal(direct.crns.length, active);

  await page.locator('#hide-inactive').uncheck();
  await waitRows(all.crns.length);
});

test('refresh button runs a round and reloads', { timeout: REFRESH_TIMEOUT_MS + 30_000 }, async () => {
  const prev = await gotoAndCapture(`${server.base}/debug.html`);
  await waitRows(prev.crns.length);

  const reloaded = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/crns.json'), {
    timeout: REFRESH_TIMEOUT_MS,
  });
  await page.locator('#refresh').click();
  await page.waitForFunction(
    () => {
      const s = document.getElementById('status').textContent;
      return s.includes('refreshed') || s.includes('failed');
    },
    null,
    { timeout: REFRESH_TIMEOUT_MS },
  );
  const status = await page.locator('#status').textContent();
  assert.match(status, /^refreshed at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/, `#status: ${status}`);

  const next = await (await reloaded).json();
  assert.equal(next.crns.length, NODES);
  assert.equal(await rowCount(), next.crns.length);
  assert.equal(await page.locator('#last-refresh').getAttribute('datetime'), next.last_refresh);
  assert.ok(Date.parse(next.last_refresh) >= Date.parse(prev.last_refresh), 'last_refresh went back');

  await page.screenshot({ path: screenshotPath('nodelist-debug.png'), fullPage: true });
});

test('index page links to crns.json with relative links', { timeout: 30_000 }, async () => {
  const resp = await page.goto(`${server.base}/`);
  assert.equal(resp.status(), 200);
  assert.ok((await page.locator('a[href="crns.json"]').count()) >= 1, 'no link to crns.json');
  for (const href of await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
    assert.doesNotMatch(href, /^(\/|[a-z]+:)/i, `link ${href} is not relative`);
  }
});

test('pages made no console errors', () => {
  assert.deepEqual(pageErrors, []);
});
