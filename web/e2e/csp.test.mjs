// Browser test of the pages' content security policy: every page (the
// dashboard, a node's page, the debug table, the API docs with the
// vendored Swagger UI) is served with the self-only policy, draws as it
// should under it, and reports no violation: the page listens for
// securitypolicyviolation events from before its first script, and
// Chromium's console errors are collected too. demo.mjs lists the
// environment variables it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getJSON, useDemo, watchErrors } from './demo.mjs';

const NODES = 12;
const UI_TIMEOUT_MS = 20_000;

let server;
let browser;
let page;
const pageErrors = [];

useDemo({ prefix: 'nodelist-e2e-csp-', nodes: NODES, uiTimeout: UI_TIMEOUT_MS, errors: pageErrors }, (s) => {
  ({ server, browser } = s);
});

// freshPage opens a page of its own for each visit, so that each starts
// with a document load (a node's page is only a fragment away from /).
async function freshPage() {
  if (page) await page.close();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  watchErrors(page, pageErrors);
  return page;
}

// visit opens path, waits for ready (a selector, or a function run in the
// page), exercises it with act, and returns the policy served and the
// violations reported.
async function visit(path, ready, act) {
  await freshPage();
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const resp = await page.goto(`${server.base}${path}`);
  assert.equal(resp.status(), 200, path);
  if (typeof ready === 'string') await page.locator(ready).first().waitFor();
  else await page.waitForFunction(ready);
  if (act) await act();
  const violations = await page.evaluate(() => window.__violations);
  return { csp: (await resp.allHeaders())['content-security-policy'], frame: (await resp.allHeaders())['x-frame-options'], violations };
}

test('every page draws under the self-only policy with no violation', { timeout: 120_000 }, async () => {
  const doc = await getJSON(`${server.base}/crns.json`);
  const hash = doc.crns[0].hash;
  const pages = [
    ['/', () => document.querySelectorAll('#nodes tbody tr').length > 0, null],
    [`/#/nodes/${hash}`, () => !document.getElementById('node-view')?.hidden && document.querySelectorAll('svg').length > 0, null],
    ['/debug.html', 'table tbody tr', null],
    ['/docs', '.swagger-ui .opblock', async () => {
      // Open an operation and try it: Swagger UI's forms, highlighting and
      // same-origin request all run under the policy.
      await page.locator('.opblock-summary-path[data-path="/healthz"]').click();
      const op = page.locator('.opblock.is-open');
      await op.locator('.try-out__btn').click();
      await op.locator('.execute').click();
      const status = op.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor();
      assert.match(await status.textContent(), /200/);
    }],
  ];
  const seen = [];
  for (const [path, ready, act] of pages) {
    const r = await visit(path, ready, act);
    seen.push(path);
    assert.match(r.csp || '', /^default-src 'self';.*frame-ancestors 'none'/, `${path}: policy ${r.csp}`);
    assert.equal(r.frame, 'DENY', `${path}: X-Frame-Options`);
    assert.deepEqual(r.violations, [], `${path}: violations`);
  }
  assert.deepEqual(pageErrors, [], `console errors on ${seen.join(', ')}`);
});

test('a page refuses to be framed', { timeout: 30_000 }, async () => {
  // A blank page framing the dashboard: the browser refuses to draw the
  // frame's document (frame-ancestors 'none') and shows its error page
  // in its place; without the policy, the frame holds the dashboard.
  await freshPage();
  await page.goto('about:blank');
  await page.evaluate((url) => {
    const f = document.createElement('iframe');
    f.src = url;
    document.body.append(f);
  }, `${server.base}/`);
  const child = () => page.frames().find((f) => f !== page.mainFrame());
  const deadline = Date.now() + 10_000;
  while ((!child() || ['', 'about:blank'].includes(child().url())) && Date.now() < deadline) {
    await page.waitForTimeout(50);
  }
  assert.ok(child(), 'no frame');
  assert.match(child().url(), /^chrome-error:/, `the framed dashboard loaded: ${child().url()}`);
  assert.equal(await child().locator('#nodes').count(), 0, 'the framed dashboard was drawn');
});
