// Browser test of the API docs page: starts `nodelist demo`, opens /docs in
// Debian's Chromium through playwright-core, and checks that the vendored
// Swagger UI draws /openapi.json: its title, every operation, an expanded
// operation, no console error and no request leaving the service's origin.
// demo.mjs lists the environment variables it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  getJSON, screenshotPath, useDemo,
} from './demo.mjs';

const NODES = 12;
const UI_TIMEOUT_MS = 20_000;

let server;
let browser;
let page;
const pageErrors = [];
const foreign = []; // requests to another origin than the service's

useDemo({ prefix: 'nodelist-e2e-docs-', nodes: NODES, uiTimeout: UI_TIMEOUT_MS, errors: pageErrors }, (s) => {
  ({ server, browser, page } = s);
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(server.base + '/') && !url.startsWith('data:')) foreign.push(url);
  });
});

test('/docs renders the API description', { timeout: 60_000 }, async () => {
  const doc = await getJSON(`${server.base}/openapi.json`);
  assert.equal(doc.openapi, '3.1.0');
  const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));

  await page.goto(`${server.base}/docs`);
  const title = page.locator('.swagger-ui .info .title');
  await title.waitFor();
  assert.match(await title.textContent(), new RegExp(`^${doc.info.title}`));

  // Every operation of the document is drawn, each with its method and path.
  await page.locator('.opblock').first().waitFor();
  assert.equal(await page.locator('.opblock').count(), ops.length);
  for (const p of ['/crns.json', '/crns/{hash}.json', '/crns/{hash}/history', '/crns/changes', '/healthz']) {
    assert.equal(await page.locator(`.opblock-summary-path[data-path="${p}"]`).count(), 1, `operation ${p} drawn`);
  }

  // Opening crns.json shows its parameter and its responses.
  await page.locator('.opblock-summary-path[data-path="/crns.json"]').click();
  const body = page.locator('.opblock.is-open');
  await body.locator('text=filter_inactive').first().waitFor();
  await body.locator('.response[data-code="422"]').waitFor();
  await page.screenshot({ path: screenshotPath('nodelist-docs.png') });
  await body.screenshot({ path: screenshotPath('nodelist-docs-crns.png') });
  assert.equal(await page.locator('#docs-error').isHidden(), true, 'the page reports no load error');
});

test('/docs loads nothing from another origin and logs no error', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});
