// Browser test of what the dashboard says is wrong: down since and the
// full error, 24 h and 7 d uptimes, nodes behind last_crn_version, GPU
// models as filters, failing nodes first on a phone, an operator's page,
// dark mode and the one time format. Against `nodelist demo` with its
// default history store; rounds run only when forced (--refresh-interval
// 1h), so the page can be compared with crns.json and uptime.json
// exactly. Screenshots at 1440 and 390 px go to NODELIST_SCREENSHOT_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getJSON, screenshotPath, useDemo } from './demo.mjs';

const NODES = 60;
const UI_TIMEOUT_MS = 15_000;
const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

// The one time format: "2026-12-06 19:58 UTC (5 min ago)", or "—".
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d UTC \((\d+ (s|min|h|d) ago|in \d+ (s|min|h|d))\)$/;

let server;
let page;
const pageErrors = [];

const failing = (c) => c.debug_config_from_crn_error !== 'None' || c.usage_from_crn_error !== 'None';
const fullError = (c) => (c.debug_config_from_crn_error !== 'None' ? c.debug_config_from_crn_error : c.usage_from_crn_error);
const percent = (r) => {
  if (r === null || r === undefined) return '';
  const p = r * 100;
  return (p >= 99.95 && p < 100 ? '99.9' : p === 100 ? '100' : p.toFixed(1)) + '%';
};
const pad = (n) => String(n).padStart(2, '0');
const utc = (s) => {
  const d = new Date(s);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
};
const versionKey = (v) => {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(typeof v === 'string' ? v : '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
};
const older = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

async function waitRows(n) {
  await page.waitForFunction((want) => document.querySelectorAll('#nodes tbody tr').length === want, n);
}

// openDashboard loads / with its uptimes and returns crns.json and
// uptime.json as the page read them.
async function openDashboard() {
  await page.goto('about:blank');
  const [crnsResp, upResp] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/crns.json') && r.status() === 200),
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/uptime.json') && r.status() === 200),
    page.goto(`${server.base}/`),
  ]);
  const doc = await crnsResp.json();
  const uptime = await upResp.json();
  await waitRows(doc.crns.length);
  return { doc, uptime };
}

// cells reads one column of the rows, keyed by hash.
function cells(key) {
  return page.locator('#nodes tbody tr').evaluateAll((trs, k) =>
    Object.fromEntries(trs.map((tr) => [tr.dataset.hash, tr.querySelector('td.c-' + k).textContent])), key);
}

useDemo({ prefix: 'nodelist-e2e-triage-', nodes: NODES, args: ['--refresh-interval', '1h'], uiTimeout: UI_TIMEOUT_MS, errors: pageErrors }, (s) => {
  ({ server, page } = s);
});

test('a failing node shows its full error and since when it is down', { timeout: 60_000 }, async () => {
  await page.setViewportSize(WIDE);
  const { doc, uptime } = await openDashboard();
  const bad = doc.crns.filter(failing);
  assert.ok(bad.length > 0, 'the demo fleet has no failing node');
  const errors = await cells('error');
  const since = await cells('since');
  let dated = 0;
  for (const c of doc.crns) {
    assert.equal(errors[c.hash], failing(c) ? fullError(c) : '', `error of ${c.name}`);
    const u = uptime[c.hash];
    if (failing(c) && u && u.up === false) {
      assert.match(since[c.hash], TIME, `down since of ${c.name}`);
      assert.ok(since[c.hash].startsWith(utc(u.since)), `${c.name}: ${since[c.hash]}, want ${utc(u.since)}`);
      dated++;
    } else {
      // Failing, but not by its config probe: no time known, a dash;
      // not failing: nothing to date.
      assert.equal(since[c.hash], failing(c) ? '—' : '', `down since of ${c.name}`);
    }
  }
  assert.ok(dated > 0, 'no failing node has a down-since time');
  // The error is whole on the page, not cut by an ellipsis nor left
  // out of sight beyond the table's scroll box at 1440 px.
  const cut = await page.locator('#nodes tbody td.c-error').evaluateAll((tds) => {
    const box = document.querySelector('#nodes').closest('.scroll').getBoundingClientRect();
    return tds.filter((td) => td.scrollWidth > td.clientWidth + 1 || td.getBoundingClientRect().right > box.right + 1)
      .map((td) => td.textContent);
  });
  assert.deepEqual(cut, []);
  await page.locator('#state').selectOption('failing');
  await waitRows(bad.length);
  await page.screenshot({ path: screenshotPath('nodelist-failing-1440.png'), fullPage: true });
  await page.locator('#state').selectOption('all');
});

test('the table has 24 h and 7 d uptimes from uptime.json', { timeout: 60_000 }, async () => {
  const { doc, uptime } = await openDashboard();
  const day = await cells('up24');
  const week = await cells('up7');
  let known = 0;
  for (const c of doc.crns) {
    const u = uptime[c.hash] || {};
    assert.equal(day[c.hash], percent(u['24h']), `24 h of ${c.name}`);
    assert.equal(week[c.hash], percent(u['7d']), `7 d of ${c.name}`);
    if (u['7d'] !== null && u['7d'] !== undefined) known++;
  }
  assert.ok(known > 0, 'no node has a 7-day uptime');
  assert.equal(await page.locator('#nodes thead button[data-key="up7"]').textContent(), 'up 7 d');
});

test('nodes behind last_crn_version are marked, and a filter keeps them', { timeout: 60_000 }, async () => {
  const { doc } = await openDashboard();
  const task = await getJSON(`${server.base}/debug/task`);
  const ref = versionKey(task.last_crn_version);
  assert.ok(ref, `last_crn_version ${task.last_crn_version}`);
  const behind = doc.crns.filter((c) => versionKey(c.version) && older(versionKey(c.version), ref) < 0).map((c) => c.hash);
  assert.ok(behind.length > 0 && behind.length < doc.crns.length, `${behind.length} nodes behind`);
  const marked = await page.locator('#nodes tbody tr:has(td.c-version .tag.warn:has-text("behind"))')
    .evaluateAll((trs) => trs.map((tr) => tr.dataset.hash));
  assert.deepEqual(new Set(marked), new Set(behind));
  assert.equal(await page.locator('#behind-label').textContent(), `behind ${task.last_crn_version}`);
  await page.locator('#behind-only').check();
  await waitRows(behind.length);
  const shown = await page.locator('#nodes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.hash));
  assert.deepEqual(new Set(shown), new Set(behind));
  await page.screenshot({ path: screenshotPath('nodelist-behind-1440.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.locator('#nodes-h').evaluate((h) => h.scrollIntoView());
  await page.screenshot({ path: screenshotPath('nodelist-behind-390.png') });
  await page.setViewportSize(WIDE);
  await page.locator('#behind-only').uncheck();
  await waitRows(doc.crns.length);
  // The summary's note turns the same filter on.
  await page.locator('#show-behind').click();
  await waitRows(behind.length);
  assert.equal(await page.locator('#behind-only').isChecked(), true);
  await page.locator('#behind-only').uncheck();
  await waitRows(doc.crns.length);
});

test('GPU models are shown whole, and each is a filter', { timeout: 60_000 }, async () => {
  const { doc } = await openDashboard();
  const models = (c) => [...new Set(c.compatible_gpus.map((g) => g.model))];
  const two = doc.crns.find((c) => models(c).length >= 2);
  assert.ok(two, 'no node of the demo fleet has two GPU models');
  const row = page.locator(`#nodes tbody tr[data-hash="${two.hash}"]`);
  const buttons = row.locator('td.c-gpus button.gpu-pick');
  assert.deepEqual(new Set(await buttons.evaluateAll((bs) => bs.map((b) => b.dataset.model))), new Set(models(two)));
  // Each is whole: its text names the model and nothing clips it.
  const clipped = await row.locator('td.c-gpus').evaluate((td) => {
    const box = td.getBoundingClientRect();
    return [...td.querySelectorAll('button')].filter((b) => {
      const r = b.getBoundingClientRect();
      return r.right > box.right + 1 || b.scrollWidth > b.clientWidth + 1 || !b.textContent.startsWith(b.dataset.model);
    }).length + (td.scrollWidth > td.clientWidth + 1 ? 1 : 0);
  });
  assert.equal(clipped, 0);
  await row.evaluate((tr) => tr.scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: screenshotPath('nodelist-gpus-1440.png') });

  const model = models(two)[1];
  await buttons.filter({ hasText: model }).click();
  const want = doc.crns.filter((c) => models(c).includes(model)).map((c) => c.hash);
  await waitRows(want.length);
  assert.equal(new URL(page.url()).hash, '', 'a GPU click opened the node page');
  assert.equal(await page.locator('#gpu-model').inputValue(), model);
  const shown = await page.locator('#nodes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.hash));
  assert.deepEqual(new Set(shown), new Set(want));
  await page.locator('#gpu-model').selectOption('');
  await waitRows(doc.crns.length);
  // On a phone too, each model is whole and a filter.
  await page.setViewportSize(PHONE);
  const phoneButtons = page.locator(`#nodes tbody tr[data-hash="${two.hash}"] td.c-gpus button.gpu-pick`);
  assert.equal(await phoneButtons.count(), models(two).length);
  await phoneButtons.first().evaluate((b) => b.scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: screenshotPath('nodelist-gpus-390.png') });
  await phoneButtons.filter({ hasText: model }).click();
  await waitRows(want.length);
  await page.locator('#gpu-model').selectOption('');
  await waitRows(doc.crns.length);
  await page.setViewportSize(WIDE);
  // The summary's models filter the same way.
  await page.locator('#gpus tbody button.gpu-pick', { hasText: model }).first().click();
  await waitRows(want.length);
  await page.locator('#gpu-model').selectOption('');
  await waitRows(doc.crns.length);
});

test('on a phone, failing nodes come first in compact rows', { timeout: 60_000 }, async () => {
  await page.setViewportSize(PHONE);
  const { doc } = await openDashboard();
  const bad = new Set(doc.crns.filter(failing).map((c) => c.hash));
  const order = await page.locator('#nodes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.hash));
  const firstOk = order.findIndex((h) => !bad.has(h));
  assert.equal(firstOk, bad.size, 'a node that answers comes before a failing one');
  assert.ok(order.slice(0, bad.size).every((h) => bad.has(h)));
  // Compact: a card is a few lines, not one line per column.
  const heights = await page.locator('#nodes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
  const tallest = Math.max(...heights);
  assert.ok(tallest <= 140, `tallest row ${tallest} px`);
  const tableHeight = await page.locator('#nodes').evaluate((t) => t.getBoundingClientRect().height);
  assert.ok(tableHeight <= doc.crns.length * 110, `table ${tableHeight} px for ${doc.crns.length} nodes`);
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(scroll <= 0, `the page scrolls sideways by ${scroll} px`);
  await page.screenshot({ path: screenshotPath('nodelist-dashboard-failing-first-390.png'), fullPage: true });
  await page.locator('#nodes-h').evaluate((h) => h.scrollIntoView());
  await page.screenshot({ path: screenshotPath('nodelist-nodes-390.png') });
  // Wider again, the chosen sort holds alone.
  await page.setViewportSize(WIDE);
  await page.locator('#nodes thead button[data-key="name"]').click();
  const names = await page.locator('#nodes tbody td.c-name a').allTextContents();
  assert.deepEqual(names.map((n) => n.toLowerCase()), names.map((n) => n.toLowerCase()).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});

test("an owner's page lists their nodes and a notification config", { timeout: 60_000 }, async () => {
  for (const viewport of [WIDE, PHONE]) {
    await page.setViewportSize(viewport);
    const { doc, uptime } = await openDashboard();
    const byOwner = new Map();
    for (const c of doc.crns) byOwner.set(c.owner, [...(byOwner.get(c.owner) || []), c]);
    const [owner, mine] = [...byOwner].sort((a, b) => b[1].length - a[1].length)[0];
    assert.ok(mine.length >= 3, `the busiest owner has ${mine.length} nodes`);
    // The owner's address in the table links to the page.
    await page.locator(`#nodes tbody tr[data-hash="${mine[0].hash}"] td.c-owner a`).click();
    assert.equal(decodeURIComponent(new URL(page.url()).hash), `#/owners/${owner}`);
    await page.locator('#owner-nodes tbody tr').first().waitFor();
    assert.equal(await page.locator('#fleet-view').isVisible(), false);
    const rows = await page.locator('#owner-nodes tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      hash: tr.dataset.hash,
      state: tr.cells[1].textContent,
      day: tr.cells[4].textContent,
      week: tr.cells[5].textContent,
    })));
    assert.deepEqual(new Set(rows.map((r) => r.hash)), new Set(mine.map((c) => c.hash)));
    for (const r of rows) {
      const c = mine.find((x) => x.hash === r.hash);
      assert.equal(r.state, c.inactive_since !== null ? 'inactive' : failing(c) ? 'down' : 'up', `state of ${c.name}`);
      assert.equal(r.day, percent((uptime[c.hash] || {})['24h']), `24 h of ${c.name}`);
      assert.equal(r.week, percent((uptime[c.hash] || {})['7d']), `7 d of ${c.name}`);
    }
    const nBad = mine.filter(failing).length;
    assert.match(await page.locator('#owner-summary').textContent(), new RegExp(`^${mine.length} nodes: ${mine.length - nBad} answering, ${nBad} failing`));
    const snippet = await page.locator('#notify-snippet').textContent();
    assert.match(snippet, /^notify:\n {2}- url: https:\/\/example\.com\/\S+\n/);
    assert.ok(snippet.includes(`owners: ["${owner}"]`), snippet);
    assert.match(snippet, /format: json/);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(scroll <= 0, `the owner page scrolls sideways by ${scroll} px at ${viewport.width} px`);
    await page.screenshot({ path: screenshotPath(`nodelist-owner-${viewport.width}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDE);
});

test('dark mode follows prefers-color-scheme', { timeout: 60_000 }, async () => {
  const luminance = () => page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  });
  await page.emulateMedia({ colorScheme: 'light' });
  await openDashboard();
  assert.ok(await luminance() > 0.9, 'the light page is not light');
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.ok(await luminance() < 0.15, 'the dark page is not dark');
  const text = await page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.body).color.match(/\d+/g).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  });
  assert.ok(text > 0.7, 'dark page text is not light');
  for (const viewport of [WIDE, PHONE]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: screenshotPath(`nodelist-dark-${viewport.width}.png`), fullPage: viewport === PHONE });
  }
  await page.goto(`${server.base}/debug.html`);
  await page.locator('#crns tbody tr').first().waitFor();
  assert.ok(await luminance() < 0.15, 'the dark debug page is not dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(WIDE);
});

test('every page writes times one way', { timeout: 60_000 }, async () => {
  const { doc } = await openDashboard();
  const times = (sel) => page.locator(sel).allTextContents();
  const check = (list, where) => {
    assert.ok(list.length > 0, `no time on ${where}`);
    for (const t of list) assert.ok(TIME.test(t.trim()) || t.trim() === '—', `${where}: ${JSON.stringify(t)}`);
  };
  const noOtherTime = async (where) => {
    const body = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(body, /\b(None|never)\b/, `${where} says None or never`);
    assert.doesNotMatch(body, /\d\d?:\d\d(:\d\d)?\s?[AP]M/i, `${where} has a 12-hour time`);
  };
  check(await times('#last-refresh'), 'the header');
  check(await times('#nodes tbody td.c-seen'), 'last seen');
  check((await times('#nodes tbody td.c-since')).filter((t) => t !== ''), 'down since');
  await noOtherTime('the dashboard');

  const down = doc.crns.find((c) => c.debug_config_from_crn_error !== 'None');
  await page.goto(`${server.base}/#/nodes/${down.hash}`);
  await page.locator('table.events tbody tr').first().waitFor();
  check(await times('table.events td[data-label="time"]'), 'the transitions');
  const details = new Map(await page.locator('#node-details dl.details > div').evaluateAll((ds) => ds.map((d) => [d.children[0].textContent, d.children[1].textContent])));
  check([details.get('last config'), details.get('down since')], 'the node details');
  assert.equal(details.get('usage error') === 'None', false);
  await noOtherTime('the node page');
  await page.screenshot({ path: screenshotPath('nodelist-node-down-1440.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: screenshotPath('nodelist-node-down-390.png'), fullPage: true });
  await page.setViewportSize(WIDE);

  await page.goto(`${server.base}/#/owners/${down.owner}`);
  await page.locator('#owner-nodes tbody tr').first().waitFor();
  check(await times('#owner-nodes tbody td[data-label="last seen"]'), 'the owner page');
  await noOtherTime('the owner page');

  await page.goto(`${server.base}/debug.html`);
  await page.waitForFunction((want) => document.getElementById('last-refresh').dateTime === want, doc.last_refresh);
  check(await times('#last-refresh'), 'debug.html');
});

test('relative times age while the page stays open', { timeout: 60_000 }, async () => {
  await page.goto('about:blank');
  await page.clock.install();
  const { doc } = await openDashboard();
  const rel = () => page.locator('#last-refresh .rel').textContent();
  assert.match(await rel(), /^\(\d+ s ago\)$/);
  // Ten minutes on, the page's own timer has rewritten it; the UTC time
  // beside it has not moved.
  const before = await page.locator('#last-refresh').textContent();
  await page.clock.fastForward('10:00');
  await page.waitForFunction(() => /^\(1\d min ago\)$|^\(10 min ago\)$/.test(document.querySelector('#last-refresh .rel').textContent));
  assert.equal((await page.locator('#last-refresh').textContent()).slice(0, 20), before.slice(0, 20));
  const seen = await page.locator(`#nodes tbody tr[data-hash="${doc.crns.find((c) => typeof c.debug_config_from_crn_at === 'string').hash}"] td.c-seen .rel`).textContent();
  assert.match(seen, /^\(1\d min ago\)$|^\(10 min ago\)$/);
});

test('pages made no console errors', () => {
  assert.deepEqual(pageErrors, []);
});
