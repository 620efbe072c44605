// Browser test of the dashboard's fallback: when its change stream is
// refused (this address already holds the service's bound of 8 streams),
// the page polls crns.json with If-None-Match, says so, still shows a new
// round, and goes back to the stream once one is free. Rounds run only
// when the test forces one (--refresh-interval 1h). demo.mjs lists the
// environment variables it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { getJSON, screenshotPath, useDemo } from './demo.mjs';

const NODES = 20;
const PER_CLIENT = 8; // the service's streams per address
const UI_TIMEOUT_MS = 20_000; // a poll comes every 10 s
const ROUND_TIMEOUT_MS = 60_000;
const RETRY_TIMEOUT_MS = 45_000; // the page tries the stream again after 30 s

let server;
let page;
const pageErrors = [];

useDemo({ prefix: 'nodelist-e2e-fallback-', nodes: NODES, args: ['--refresh-interval', '1h'], uiTimeout: UI_TIMEOUT_MS, errors: pageErrors }, (s) => {
  ({ server, page } = s);
});

// openStream opens /crns/changes from this process (127.0.0.1, as the
// browser) and resolves to {status, req} once the status is known.
function openStream() {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.base}/crns/changes`, { agent: false }, (res) => {
      if (res.statusCode !== 200) res.resume();
      resolve({ status: res.statusCode, req, res });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
  });
}

test('refused a stream, the dashboard polls crns.json, shows a new round, and returns to the stream', { timeout: ROUND_TIMEOUT_MS + RETRY_TIMEOUT_MS + 60_000 }, async () => {
  const held = [];
  for (let i = 0; i < PER_CLIENT; i++) {
    const s = await openStream();
    assert.equal(s.status, 200, `stream ${i + 1} of ${PER_CLIENT}`);
    held.push(s);
  }
  const extra = await openStream();
  assert.equal(extra.status, 429, 'a ninth stream from one address');

  const crnsStatuses = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('/crns.json')) crnsStatuses.push(r.status());
  });
  const streamStatuses = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('/crns/changes')) streamStatuses.push(r.status());
  });
  try {
    await page.goto(`${server.base}/`);
    await page.waitForFunction((n) => document.querySelectorAll('#nodes tbody tr').length === n, NODES);
    await page.waitForFunction(() => /^live updates unavailable; polling crns\.json every 10 s/.test(document.getElementById('live').textContent));
    assert.ok(streamStatuses.includes(429), `the page's stream was not refused: ${streamStatuses}`);
    // A poll of unchanged data is a 304.
    // Times are written one way on every page (when.js): UTC to the minute.
    await page.waitForFunction(() => / · checked \d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(document.getElementById('live').textContent));
    assert.ok(crnsStatuses.includes(304), `no poll answered 304: ${crnsStatuses}`);

    const before = await getJSON(`${server.base}/crns.json`);
    const resp = await fetch(`${server.base}/debug/node`, { signal: AbortSignal.timeout(ROUND_TIMEOUT_MS) });
    assert.equal(resp.status, 200, 'forced round');
    const after = await getJSON(`${server.base}/crns.json`);
    assert.notEqual(after.last_refresh, before.last_refresh, 'the forced round did not move last_refresh');
    await page.waitForFunction((want) => document.getElementById('last-refresh').dateTime === want, after.last_refresh);
    assert.match(await page.locator('#live').textContent(), /^live updates unavailable; polling crns\.json every 10 s · updated \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    assert.ok(crnsStatuses.filter((s) => s === 200).length >= 2, `crns.json statuses ${crnsStatuses}`);
    await page.screenshot({ path: screenshotPath('nodelist-dashboard-polling.png') });

    // A stream free again: the page follows it at its next try.
    for (const s of held.splice(0)) s.req.destroy();
    await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: RETRY_TIMEOUT_MS });
    assert.ok(streamStatuses.includes(200), `the page never got its stream: ${streamStatuses}`);
  } finally {
    for (const s of held) s.req.destroy();
  }
  assert.deepEqual(pageErrors.filter((e) => !/429|text\/event-stream/.test(e)), []);
});
