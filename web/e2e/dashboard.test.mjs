// Browser test of the dashboard (/ and #/nodes/{hash}) against `nodelist
// demo` with its default history store. Rounds run only when the test
// forces one (--refresh-interval 1h), so what the page shows can be
// compared with crns.json exactly. demo.mjs lists the environment
// variables it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  getJSON, screenshotPath, useDemo,
} from './demo.mjs';

const NODES = 60;
const UI_TIMEOUT_MS = 15_000;
const ROUND_TIMEOUT_MS = 60_000;

let server;
let browser;
let page;
const pageErrors = [];

// The page's rules, restated from what crns.json documents: a probe is ok
// when its error is "None" and it has a time; a config whose only error is
// invalid fields (invalid_data) still answered.
function configAnswered(c) {
  const e = c.debug_config_from_crn_error;
  return typeof c.debug_config_from_crn_at === 'string' && (e === 'None' || e.startsWith('invalid_data:'));
}
const failing = (c) => c.debug_config_from_crn_error !== 'None' || c.usage_from_crn_error !== 'None';
const inactive = (c) => c.inactive_since !== null;
const gpuCount = (c) => (Array.isArray(c.compatible_gpus) ? c.compatible_gpus.length : 0);

async function text(sel) {
  return (await page.locator(sel).textContent()).trim();
}

async function waitRows(n) {
  await page.waitForFunction((want) => document.querySelectorAll('#nodes tbody tr').length === want, n);
}

// openDashboard loads / and returns the crns.json the page rendered.
async function openDashboard() {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/crns.json') && r.status() === 200),
    page.goto(`${server.base}/`),
  ]);
  const doc = await resp.json();
  await waitRows(doc.crns.length);
  return doc;
}

// columnValues reads one column of the visible rows.
function columnValues(key) {
  return page.locator(`#nodes tbody td.c-${key}`).allTextContents();
}

useDemo({ prefix: 'nodelist-e2e-dash-', nodes: NODES, args: ['--refresh-interval', '1h'], uiTimeout: UI_TIMEOUT_MS, errors: pageErrors }, (s) => {
  ({ server, browser, page } = s);
});

test('summary counts equal what crns.json says', { timeout: 60_000 }, async () => {
  const doc = await openDashboard();
  const crns = doc.crns;
  const want = {
    '#n-listed': crns.length,
    '#n-responsive': crns.filter(configAnswered).length,
    '#n-failing': crns.filter(failing).length,
    '#n-inactive': crns.filter(inactive).length,
    '#n-ipv6': crns.filter((c) => c.ipv6_check.host && c.ipv6_check.vm).length,
  };
  for (const [sel, n] of Object.entries(want)) {
    assert.equal(await text(sel), String(n), sel);
  }
  assert.ok(want['#n-failing'] > 0 && want['#n-inactive'] > 0, 'the demo fleet has no failing or no inactive node');

  // Versions: one row per distinct version, counts adding up to the fleet.
  const versions = new Map();
  for (const c of crns) versions.set(c.version ?? 'unknown', (versions.get(c.version ?? 'unknown') || 0) + 1);
  const vrows = await page.locator('#versions tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.cells[0].firstChild.textContent, Number(tr.cells[1].textContent)]));
  assert.deepEqual(new Map(vrows), versions);
  // "Behind" is judged against the network's last_crn_version, as the
  // settings aggregate publishes it (the demo's: see /debug/task).
  const task = await (await fetch(`${server.base}/debug/task`)).json();
  assert.equal(typeof task.last_crn_version, 'string');
  assert.match(await page.locator('#behind').textContent(), new RegExp(`older than ${task.last_crn_version.replaceAll('.', '\\.')} \\(last_crn_version\\)`));

  // GPUs: compatible and free per model, as listed.
  const gpus = new Map();
  for (const c of crns) {
    for (const [list, i] of [[c.compatible_gpus, 0], [c.compatible_available_gpus, 1]]) {
      for (const g of list) {
        const e = gpus.get(g.model) || [0, 0];
        e[i]++;
        gpus.set(g.model, e);
      }
    }
  }
  assert.ok(gpus.size > 0, 'the demo fleet has no GPU');
  const grows = await page.locator('#gpus tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.cells[0].textContent, [Number(tr.cells[1].textContent), Number(tr.cells[2].textContent)]]));
  assert.deepEqual(new Map(grows), gpus);

  assert.equal(await page.locator('#nodes tbody tr').count(), crns.length);
  assert.match(await text('#shown'), new RegExp(`^${crns.length} nodes$`));
  // Node strings are text, never markup; links stay relative or http(s).
  assert.equal(await page.locator('#nodes tbody img, #nodes tbody script').count(), 0);
  await page.screenshot({ path: screenshotPath('nodelist-dashboard.png'), fullPage: true });
});

test('sorting by a column orders the rows, by mouse and keyboard', { timeout: 60_000 }, async () => {
  const doc = await openDashboard();
  const cpuButton = page.locator('#nodes thead button[data-key="cpus"]');
  await cpuButton.click();
  assert.equal(await page.locator('#nodes thead th.c-cpus').getAttribute('aria-sort'), 'descending');
  const nums = (vals) => vals.filter((v) => v !== '').map(Number);
  let cpus = await columnValues('cpus');
  assert.equal(cpus.length, doc.crns.length);
  assert.deepEqual(nums(cpus), nums(cpus).toSorted((a, b) => b - a));
  // Nodes without usage sort last either way.
  assert.ok(cpus.indexOf('') === -1 || cpus.slice(cpus.indexOf('')).every((v) => v === ''), 'empty CPU cells are not last');

  await cpuButton.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#nodes thead th.c-cpus').getAttribute('aria-sort'), 'ascending');
  cpus = await columnValues('cpus');
  assert.deepEqual(nums(cpus), nums(cpus).toSorted((a, b) => a - b));

  await page.locator('#nodes thead button[data-key="name"]').click();
  const names = await page.locator('#nodes tbody td.c-name a').allTextContents();
  const want = doc.crns.map((c) => c.name.toLowerCase()).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(names.map((n) => n.toLowerCase()), want);
});

test('filters narrow the rows', { timeout: 60_000 }, async () => {
  const doc = await openDashboard();
  const named = doc.crns.filter((c) => c.name !== '');
  const name = named.reduce((a, b) => (b.name.length > a.name.length ? b : a)).name;
  const hay = (c) => [c.name, c.hash, c.address, c.version ?? '', ...c.compatible_gpus.map((g) => g.model)].join('\n').toLowerCase();
  const want = doc.crns.filter((c) => hay(c).includes(name.toLowerCase())).length;
  assert.ok(want < doc.crns.length);
  await page.locator('#filter').fill(name);
  await waitRows(want);
  assert.match(await text('#shown'), new RegExp(`^${want} of ${doc.crns.length} nodes$`));
  await page.locator('#filter').fill('');
  await waitRows(doc.crns.length);

  for (const [value, pred] of [['inactive', inactive], ['failing', failing], ['responsive', configAnswered]]) {
    await page.locator('#state').selectOption(value);
    await waitRows(doc.crns.filter(pred).length);
  }
  await page.locator('#state').selectOption('all');
  await page.locator('#with-gpu').check();
  await waitRows(doc.crns.filter((c) => gpuCount(c) > 0).length);
  await page.locator('#with-gpu').uncheck();
  await waitRows(doc.crns.length);
});

test('a node whose config names another node is flagged in the table and on its page', { timeout: 60_000 }, async () => {
  const doc = await openDashboard();
  const other = doc.crns.filter((c) => typeof c.node_hash === 'string' && c.node_hash !== c.hash);
  assert.equal(other.length, 1, 'the demo fleet has one node whose config names another hash');
  const flagged = await page.locator('#nodes tbody tr:has(td.c-name .tag.bad:has-text("other node"))')
    .evaluateAll((rows) => rows.map((r) => r.dataset.hash));
  assert.deepEqual(flagged, [other[0].hash]);
  await page.goto(`${server.base}/#/nodes/${other[0].hash}`);
  await page.getByText('its config says it is another node').waitFor();
  assert.ok((await page.locator('#node-details dl.details').textContent()).includes(other[0].node_hash));
  await page.goto(`${server.base}/`);
  await waitRows(doc.crns.length);
});

// The hardware filters offer each CPU model and memory type crns.json
// reports, with its count, and keep the rows that have it.
const cpuModel = (c) => (c.capability && typeof c.capability.cpu?.model === 'string' ? c.capability.cpu.model.trim() : '');
const memType = (c) => (c.capability && typeof c.capability.memory?.type === 'string' ? c.capability.memory.type.trim() : '');

test('CPU model and memory type filters narrow the rows', { timeout: 60_000 }, async () => {
  // From a blank page: a crns.json the previous page was still fetching
  // must not be taken for this one's.
  await page.goto('about:blank');
  const doc = await openDashboard();
  const count = (f) => {
    const m = new Map();
    for (const c of doc.crns) if (f(c)) m.set(f(c), (m.get(f(c)) || 0) + 1);
    return m;
  };
  const cpus = count(cpuModel);
  const mems = count(memType);
  assert.ok(cpus.size >= 2 && mems.size >= 2, `the demo fleet reports too few CPU models (${cpus.size}) or memory types (${mems.size})`);
  assert.ok(doc.crns.some((c) => c.capability === null), 'every node of the demo reports its hardware');
  const options = (sel) => page.locator(`${sel} option`).evaluateAll((os) => os.slice(1).map((o) => [o.value, o.textContent]));
  assert.deepEqual(new Map((await options('#cpu-model')).map(([v, t]) => [v, t])),
    new Map([...cpus].map(([v, n]) => [v, `${v} (${n})`])));
  assert.deepEqual(new Map((await options('#mem-type')).map(([v, t]) => [v, t])),
    new Map([...mems].map(([v, n]) => [v, `${v} (${n})`])));

  const [model] = [...cpus].sort((a, b) => b[1] - a[1])[0];
  await page.locator('#cpu-model').selectOption(model);
  await waitRows(cpus.get(model));
  const hashes = await page.locator('#nodes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.hash));
  assert.deepEqual(new Set(hashes), new Set(doc.crns.filter((c) => cpuModel(c) === model).map((c) => c.hash)));
  const [type] = [...mems].sort((a, b) => b[1] - a[1])[0];
  await page.locator('#mem-type').selectOption(type);
  await waitRows(doc.crns.filter((c) => cpuModel(c) === model && memType(c) === type).length);
  await page.locator('#cpu-model').selectOption('');
  await waitRows(mems.get(type));
  await page.locator('#mem-type').selectOption('');
  await waitRows(doc.crns.length);
  // The text filter finds a CPU model too.
  await page.locator('#filter').fill(model);
  await waitRows(doc.crns.filter((c) => cpuModel(c).toLowerCase().includes(model.toLowerCase())
    || [c.name, c.hash, c.address, c.version ?? ''].join('\n').toLowerCase().includes(model.toLowerCase())).length);
  await page.locator('#filter').fill('');
  await waitRows(doc.crns.length);
});

test('a node page shows its hardware, or why it has none', { timeout: 60_000 }, async () => {
  // From a blank page: a crns.json the previous page was still fetching
  // must not be taken for this one's.
  await page.goto('about:blank');
  const doc = await openDashboard();
  const known = doc.crns.find((c) => c.capability !== null && c.capability.memory.clock !== null);
  await page.goto(`${server.base}/#/nodes/${known.hash}`);
  await page.locator('#hw').waitFor();
  const pairs = new Map(await page.locator('#hw div').evaluateAll((ds) => ds.map((d) => [d.children[0].textContent, d.children[1].textContent])));
  const cpu = known.capability.cpu;
  const mem = known.capability.memory;
  assert.equal(pairs.get('CPU model'), cpu.model);
  assert.equal(pairs.get('CPU frequency'), `${(cpu.frequency / 1e9).toFixed(2)} GHz max`);
  assert.equal(pairs.get('logical CPUs'), String(cpu.count));
  assert.equal(pairs.get('memory'), `${Math.round(mem.size / 2 ** 30)} GiB`);
  assert.equal(pairs.get('memory type'), mem.type);
  assert.equal(pairs.get('memory clock'), `${Math.round(mem.clock / 1e6)} MHz`);

  const none = doc.crns.find((c) => c.capability === null && configAnswered(c));
  await page.goto(`${server.base}/#/nodes/${none.hash}`);
  await page.locator('#hw-none').waitFor();
  assert.equal(await page.locator('#hw').count(), 0);
  await page.goto(`${server.base}/#/`);
  await waitRows(doc.crns.length);
});

test('a node page draws its charts from the history API', { timeout: 60_000 }, async () => {
  const doc = await openDashboard();
  // The first responsive node, reached by keyboard from the first row.
  await page.locator('#nodes thead button[data-key="score"]').click();
  const target = doc.crns.filter(configAnswered).toSorted((a, b) => a.score - b.score)[0];
  const row = page.locator(`#nodes tbody tr[data-hash="${target.hash}"] td.c-name a`);
  await row.focus();
  const [histResp, evResp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/crns/${target.hash}/history?`)),
    page.waitForResponse((r) => r.url().includes(`/crns/${target.hash}/events`)),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(new URL(page.url()).hash, `#/nodes/${target.hash}`);
  assert.equal(histResp.status(), 200);
  assert.equal(await text('#node-title'), target.name);

  const checkCharts = async (hist) => {
    // One chart per probe the API lists, in its order.
    assert.deepEqual(hist.probe_names, ['config', 'usage', 'ipv6', 'capability']);
    await page.waitForFunction((n) => document.querySelectorAll('#charts figure').length === n, hist.probe_names.length);
    assert.deepEqual(await page.locator('#charts figure').evaluateAll((fs) => fs.map((f) => f.dataset.probe)), hist.probe_names);
    for (const probe of ['config', 'usage', 'ipv6']) {
      const withSamples = hist.probes[probe].filter((p) => p.samples > 0).length;
      assert.ok(withSamples > 0, `${probe}: the history has no sample`);
      const fig = page.locator(`figure[data-probe="${probe}"]`);
      await fig.locator('[data-kind="uptime"] svg').waitFor();
      assert.equal(await fig.locator('[data-kind="uptime"] rect.bar').count(), withSamples, `${probe} bars`);
      assert.equal(await fig.locator('[data-kind="latency"] circle.dot').count(), withSamples, `${probe} latency points`);
    }
  };
  await checkCharts(await histResp.json());

  const events = (await evResp.json()).events;
  assert.ok(events.length > 0, 'no state transition recorded');
  await page.locator('table.events tbody tr').first().waitFor();
  assert.equal(await page.locator('table.events tbody tr').count(), events.length);

  // Another range is another query, drawn the same way.
  const [hour] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/crns/${target.hash}/history?`)),
    page.getByRole('button', { name: '1 h' }).click(),
  ]);
  const hist = await hour.json();
  assert.equal(hist.step_seconds, 60);
  await page.waitForFunction(() => document.querySelector('.ranges [aria-pressed="true"]').textContent === '1 h');
  await checkCharts(hist);
  await page.locator('.badges img').first().evaluate((img) => img.complete || new Promise((r) => { img.onload = r; }));
  assert.ok(await page.locator('.badges img').first().evaluate((img) => img.naturalWidth > 0), 'the badge did not load');
  await page.screenshot({ path: screenshotPath('nodelist-node.png'), fullPage: true });

  await page.locator('.crumbs a').click();
  await waitRows(doc.crns.length);
});

test('a node page draws one chart per probe the history API lists, whatever they are', { timeout: 60_000 }, async () => {
  const doc = await openDashboard();
  const hash = doc.crns.find(configAnswered).hash;
  // The service's answer, with a probe the page has never heard of put
  // second: the page must follow the list, not a list of its own.
  const pattern = `**/crns/${hash}/history?*`;
  await page.route(pattern, async (route) => {
    const resp = await route.fetch();
    const hist = await resp.json();
    hist.probe_names.splice(1, 0, 'dns');
    hist.probes.dns = hist.probes.config;
    await route.fulfill({ response: resp, json: hist });
  });
  try {
    const [histResp] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/crns/${hash}/history?`)),
      page.goto(`${server.base}/#/nodes/${hash}`),
    ]);
    const hist = await histResp.json();
    assert.deepEqual(hist.probe_names, ['config', 'dns', 'usage', 'ipv6', 'capability']);
    await page.waitForFunction((n) => document.querySelectorAll('#charts figure').length === n, hist.probe_names.length);
    assert.deepEqual(await page.locator('#charts figure').evaluateAll((fs) => fs.map((f) => f.dataset.probe)), hist.probe_names);
    const dns = page.locator('figure[data-probe="dns"]');
    assert.equal(await dns.locator('figcaption').textContent(), 'dns probe');
    const withSamples = hist.probes.dns.filter((p) => p.samples > 0).length;
    assert.ok(withSamples > 0, 'the copied history has no sample');
    await dns.locator('[data-kind="uptime"] svg').waitFor();
    assert.equal(await dns.locator('[data-kind="uptime"] rect.bar').count(), withSamples, 'dns bars');
  } finally {
    await page.unroute(pattern);
  }
});

test('a forced round reaches the open page through the stream, without a reload', { timeout: ROUND_TIMEOUT_MS + 30_000 }, async () => {
  const before = await openDashboard();
  await page.waitForFunction(() => document.getElementById('live').textContent.startsWith('live'));
  await page.evaluate(() => {
    window.notReloaded = true;
  });
  const conditional = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('/crns.json')) conditional.push(r.headers()['if-none-match'] || '');
  });
  const resp = await fetch(`${server.base}/debug/node`, { signal: AbortSignal.timeout(ROUND_TIMEOUT_MS) });
  assert.equal(resp.status, 200, await resp.text());
  const after = await getJSON(`${server.base}/crns.json`);
  assert.notEqual(after.last_refresh, before.last_refresh, 'the forced round did not move last_refresh');

  await page.waitForFunction((want) => document.getElementById('last-refresh').dateTime === want, after.last_refresh,
    { timeout: ROUND_TIMEOUT_MS });
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was reloaded');
  // Times are written one way on every page (when.js): UTC to the minute.
  assert.match(await text('#live'), /^live · updated \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  assert.ok(conditional.length > 0 && conditional.every((h) => h !== ''), `crns.json re-fetched without If-None-Match: ${conditional}`);
  // The rows show the new round: the summary still adds up.
  assert.equal(await text('#n-listed'), String(after.crns.length));
});

test('at 390 px wide nothing is cut off', { timeout: 60_000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = () => page.evaluate(() => {
    const doc = document.documentElement;
    const wide = [...document.querySelectorAll('body *')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > doc.clientWidth + 1 && !e.closest('.scroll, pre');
    });
    return { scroll: doc.scrollWidth, client: doc.clientWidth, wide: wide.slice(0, 5).map((e) => e.tagName + '.' + e.className) };
  });
  const doc = await openDashboard();
  let o = await overflow();
  assert.ok(o.scroll <= o.client, `dashboard overflows: ${JSON.stringify(o)}`);
  assert.deepEqual(o.wide, []);
  assert.ok(await page.locator('#sort-pick').isVisible(), 'no sort control on a phone');
  await page.screenshot({ path: screenshotPath('nodelist-dashboard-390.png'), fullPage: true });

  const hash = doc.crns.find(configAnswered).hash;
  await page.goto(`${server.base}/#/nodes/${hash}`);
  await page.locator('figure[data-probe="config"] [data-kind="uptime"] svg').waitFor();
  o = await overflow();
  assert.ok(o.scroll <= o.client, `node page overflows: ${JSON.stringify(o)}`);
  assert.deepEqual(o.wide, []);
  await page.screenshot({ path: screenshotPath('nodelist-node-390.png'), fullPage: true });

  await page.goto(`${server.base}/debug.html`);
  await page.waitForFunction((n) => document.querySelectorAll('#crns tbody tr').length === n, doc.crns.length);
  o = await overflow();
  assert.ok(o.scroll <= o.client, `debug.html overflows: ${JSON.stringify(o)}`);
  await page.screenshot({ path: screenshotPath('nodelist-debug-390.png') });
  await page.setViewportSize({ width: 1400, height: 900 });
});

test('pages made no console errors', () => {
  assert.deepEqual(pageErrors, []);
});
