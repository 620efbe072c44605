// node.js is a node's page (#/nodes/{hash}): its config and usage from
// crns.json, its uptime and latency per probe from the history API, its
// state transitions, and its badge.
import { bytes, binaryBytes, hertz, percent, str } from './fleet.js';
import { downSince, ownerLink } from './columns.js';
import { timeElement, NONE } from './when.js';
import * as chart from './chart.js';
import { h } from './dom.js';

const RANGES = [
  { id: '1h', label: '1 h', ms: 3600e3 },
  { id: '24h', label: '24 h', ms: 24 * 3600e3 },
  { id: '7d', label: '7 d', ms: 7 * 24 * 3600e3 },
  { id: '30d', label: '30 d', ms: 30 * 24 * 3600e3 },
];

let current = null; // {hash, range, box, unmount: [], seq}

const box = () => document.getElementById('node-view');

export function hideNode() {
  if (!current) return;
  for (const u of current.unmount) u();
  current = null;
  box().hidden = true;
  box().replaceChildren();
}

// showNode draws the page of hash; state is the dashboard's, whose models
// hold the CRN when crns.json listed it.
export function showNode(hash, state) {
  if (current && current.hash === hash) return;
  hideNode();
  current = { hash, range: RANGES[1], unmount: [], seq: 0 };
  const v = box();
  v.hidden = false;
  const title = h('h2', { id: 'node-title', tabindex: '-1', text: hash });
  v.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: '← all nodes' })),
    title,
    h('p', { class: 'hash mono', text: hash }),
    h('div', { id: 'node-details' }),
    h('section', { 'aria-labelledby': 'hw-h' },
      h('h3', { id: 'hw-h', text: 'Hardware' }),
      h('div', { id: 'node-hardware' })),
    h('section', { 'aria-labelledby': 'hist-h' },
      h('h3', { id: 'hist-h', text: 'Uptime and latency' }),
      rangePicker(),
      h('p', { id: 'hist-note', class: 'note', role: 'status' }),
      h('div', { id: 'charts', class: 'charts' })),
    h('section', { 'aria-labelledby': 'ev-h' },
      h('h3', { id: 'ev-h', text: 'State transitions' }),
      h('div', { id: 'events' })),
    badgeSection(hash, state.history === true),
  );
  title.focus();
  window.scrollTo(0, 0);
  nodeChanged(state);
  if (state.history === false) {
    document.getElementById('hist-note').textContent = 'The service answers no history (uptime.json is not found).';
    document.getElementById('events').replaceChildren(h('p', { class: 'note', text: 'No history kept.' }));
    return;
  }
  loadHistory();
  loadEvents(0, false);
}

// nodeChanged redraws the details after crns.json was reloaded.
export function nodeChanged(state) {
  if (!current) return;
  const row = state.byHash.get(current.hash);
  if (row) {
    drawDetails(row.model);
    return;
  }
  if (state.doc) {
    document.getElementById('node-title').textContent = current.hash.slice(0, 16) + '…';
    document.getElementById('node-details').replaceChildren(
      h('p', { class: 'error', text: 'crns.json does not list this node (any more). Its history, if kept, is below.' }));
    document.getElementById('node-hardware').replaceChildren();
  }
}

function drawDetails(m) {
  document.getElementById('node-title').textContent = m.name || m.hash.slice(0, 16);
  document.title = 'nodelist · ' + (m.name || m.hash);
  const c = m.crn;
  const usage = c.system_usage && typeof c.system_usage === 'object' ? c.system_usage : {};
  const cpu = usage.cpu || {};
  const load = cpu.load_average || {};
  const props = (usage.properties && usage.properties.cpu) || {};
  const status = m.inactive ? ['inactive', 'muted']
    : m.config === 'ok' ? ['up', 'ok']
      : m.config === 'partial' ? ['up, with invalid fields', 'warn']
        : m.config === 'never' ? ['not probed yet', 'muted'] : ['down', 'bad'];
  const addr = /^https?:\/\//i.test(m.address)
    ? h('a', { href: m.address, rel: 'noopener noreferrer', text: m.address })
    : m.address;
  const yes = (b) => (b === true ? 'yes' : b === false ? 'no' : 'unknown');
  // A probe's error is "None" when it answered: that is no error.
  const error = (e) => (typeof e === 'string' && e !== 'None' ? e : NONE);
  const at = (v) => timeElement(h('span'), v);
  const pairs = [
    ['status', h('span', { class: 'tag ' + status[1], text: status[0] })],
    ['identity', m.identityMismatch
      ? h('span', { class: 'tag bad', text: 'its config says it is another node: ' + m.claimedHash })
      : m.claimedHash ? 'its config names this node' : ''],
    ['address', addr],
    ['score', m.score === null ? '' : m.score.toFixed(4)],
    ['version', m.behind ? h('span', {}, m.version, h('span', { class: 'tag warn', text: 'behind' })) : m.version || 'unknown'],
    ['last config', at(m.lastSeen)],
    ['down since', m.failing ? at(downSince(m)) : ''],
    ['config error', error(c.debug_config_from_crn_error)],
    ['usage error', error(c.usage_from_crn_error)],
    ['CPUs', m.cpus === null ? '' : `${m.cpus} × ${str(props.architecture)} ${str(props.vendor)}`.trim()],
    ['load 1/5/15 m', [load.load1, load.load5, load.load15].map((x) => (typeof x === 'number' ? x.toFixed(2) : '–')).join(' / ')],
    ['RAM free', m.ramFree === null ? '' : `${bytes(m.ramFree)} of ${bytes(m.ramTotal)}`],
    ['disk free', m.diskFree === null ? '' : `${bytes(m.diskFree)} of ${bytes(m.diskTotal)}`],
    ['GPUs', m.gpus.length ? m.gpus.map((g) => `${g.model} ×${g.total} (${g.free} free)`).join(', ') : 'none compatible'],
    ['IPv6', `host ${yes(c.ipv6_check && c.ipv6_check.host)}, VM ${yes(c.ipv6_check && c.ipv6_check.vm)}`],
    ['GPU support', yes(c.gpu_support)],
    ['confidential', yes(c.confidential_support)],
    ['QEMU', yes(c.qemu_support)],
    ['uptime 24 h', m.up24 === null ? 'no history' : percent(m.up24)],
    ['uptime 7 d', m.up7 === null ? 'no history' : percent(m.up7)],
    ['payment receiver', str(c.payment_receiver_address)],
    ['owner', m.owner ? ownerLink(m.owner) : ''],
    ['reward', str(c.reward)],
  ];
  const dl = h('dl', { class: 'details' });
  for (const [k, v] of pairs) {
    if (v === '' || v === null) continue;
    dl.append(h('div', {}, h('dt', { text: k }), h('dd', {}, v)));
  }
  document.getElementById('node-details').replaceChildren(dl);
  drawHardware(m.hw);
}

// drawHardware shows what the node says of its hardware (its
// /about/capability), or why nothing is known.
function drawHardware(hw) {
  const into = document.getElementById('node-hardware');
  if (!hw) {
    into.replaceChildren(h('p', { class: 'note', id: 'hw-none',
      text: 'Not reported: the node runs a release before aleph-vm 1.6, which has no /about/capability, or has not answered it yet.' }));
    return;
  }
  const size = hw.memSize === null ? '' : hw.memUnits === 'bytes' ? binaryBytes(hw.memSize) : `${hw.memSize} ${hw.memUnits}`.trim();
  const pairs = [
    ['CPU model', hw.cpuModel || 'unknown'],
    ['CPU frequency', hw.cpuFreq === null ? 'unknown' : hertz(hw.cpuFreq) + ' max'],
    ['logical CPUs', hw.cpuCount === null ? 'unknown' : String(hw.cpuCount)],
    ['architecture', [hw.arch, hw.vendor].filter((x) => x).join(', ') || 'unknown'],
    ['memory', size || 'unknown'],
    ['memory type', hw.memType || 'unknown'],
    ['memory clock', hw.memClock === null ? 'unknown' : `${Math.round(hw.memClock / 1e6)} MHz`],
  ];
  const dl = h('dl', { class: 'details', id: 'hw' });
  for (const [k, v] of pairs) dl.append(h('div', {}, h('dt', { text: k }), h('dd', { text: v })));
  into.replaceChildren(dl);
}

function rangePicker() {
  const g = h('div', { class: 'ranges', role: 'group', 'aria-label': 'time range' });
  for (const r of RANGES) {
    const b = h('button', { type: 'button', 'aria-pressed': String(r === current.range), text: r.label });
    b.addEventListener('click', () => {
      current.range = r;
      for (const x of g.children) x.setAttribute('aria-pressed', String(x === b));
      loadHistory();
    });
    g.append(b);
  }
  return g;
}

async function loadHistory() {
  const cur = current;
  const seq = ++cur.seq;
  const to = Date.now();
  const from = to - cur.range.ms;
  const url = `crns/${encodeURIComponent(cur.hash)}/history?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  const note = document.getElementById('hist-note');
  note.textContent = 'loading…';
  let data;
  try {
    const resp = await fetch(url, { cache: 'no-store' });
    data = await resp.json();
    if (!resp.ok) throw new Error(data && data.error ? data.error : resp.status + ' ' + resp.statusText);
  } catch (err) {
    if (cur === current && seq === cur.seq) note.textContent = 'No history: ' + (err && err.message ? err.message : String(err));
    return;
  }
  if (cur !== current || seq !== cur.seq) return;
  for (const u of cur.unmount) u();
  cur.unmount = [];
  const step = (data.step_seconds || 60) * 1000;
  note.textContent = `${cur.range.label}, one bar per ${stepLabel(step)}; hover a bar for its figures.`;
  const charts = document.getElementById('charts');
  charts.replaceChildren();
  // One chart per probe the history records, in the order it lists them
  // (the service's probe table): a new probe needs nothing here.
  const names = Array.isArray(data.probe_names) ? data.probe_names : Object.keys(data.probes || {});
  for (const probe of names) {
    const points = (data.probes && data.probes[probe]) || [];
    const opts = { probe, rangeLabel: cur.range.label, from: Date.parse(data.from), to: Date.parse(data.to), step };
    const up = h('div', { class: 'chart', 'data-kind': 'uptime' });
    const lat = h('div', { class: 'chart', 'data-kind': 'latency' });
    charts.append(h('figure', { 'data-probe': probe },
      h('figcaption', { text: probe + ' probe' }),
      h('p', { class: 'axis-title', text: 'success' }), up,
      h('p', { class: 'axis-title', text: 'latency (line: average, band: maximum)' }), lat));
    cur.unmount.push(chart.mount(up, (w) => chart.uptime(points, opts, w)));
    cur.unmount.push(chart.mount(lat, (w) => chart.latency(points, opts, w)));
  }
}

function stepLabel(ms) {
  if (ms % 86400e3 === 0) return ms / 86400e3 + ' d';
  if (ms % 3600e3 === 0) return ms / 3600e3 + ' h';
  return ms / 60e3 + ' min';
}

async function loadEvents(before, append) {
  const cur = current;
  const wrap = document.getElementById('events');
  let data;
  try {
    const q = before ? `?limit=50&before=${before}` : '?limit=50';
    const resp = await fetch(`crns/${encodeURIComponent(cur.hash)}/events${q}`, { cache: 'no-store' });
    data = await resp.json();
    if (!resp.ok) throw new Error(data && data.error ? data.error : String(resp.status));
  } catch (err) {
    if (cur === current) wrap.replaceChildren(h('p', { class: 'note', text: 'No transitions: ' + (err && err.message ? err.message : String(err)) }));
    return;
  }
  if (cur !== current) return;
  let table = wrap.querySelector('table');
  if (!append || !table) {
    table = h('table', { class: 'events' },
      h('thead', {}, h('tr', {}, ...['time', 'probe', 'state', 'status', 'error'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody'));
    wrap.replaceChildren(table);
  }
  const body = table.querySelector('tbody');
  for (const e of data.events || []) {
    const cells = [
      [null, 'time'],
      [str(e.probe), 'probe'],
      [e.ok ? 'ok' : 'failing', 'state'],
      [e.status ? String(e.status) : '', 'status'],
      [e.ok ? '' : (str(e.class) + (e.message ? ': ' + str(e.message) : '')), 'error'],
    ];
    const tr = h('tr', { class: e.ok ? 'ok' : 'bad' });
    for (const [t, label] of cells) {
      // The time is drawn by timeElement, so that the page's timer ages it.
      tr.append(t === null ? timeElement(h('td', { 'data-label': label }), e.at) : h('td', { 'data-label': label, text: t }));
    }
    body.append(tr);
  }
  const old = wrap.querySelector('.more');
  if (old) old.remove();
  if (!body.children.length) wrap.replaceChildren(h('p', { class: 'note', text: 'No transition recorded yet.' }));
  if (data.next) {
    const more = h('button', { type: 'button', class: 'more', text: 'older transitions' });
    more.addEventListener('click', () => loadEvents(data.next, true));
    wrap.append(more);
  }
}

function badgeSection(hash, withUptime) {
  const src = `crns/${encodeURIComponent(hash)}/badge.svg`;
  const abs = new URL(src, location.href).href;
  return h('section', { 'aria-labelledby': 'badge-h' },
    h('h3', { id: 'badge-h', text: 'Badges' }),
    h('p', { class: 'badges' },
      h('img', { src, alt: 'status badge', height: '20' }), ' ',
      withUptime ? h('img', { src: src + '?metric=uptime7d', alt: '7-day uptime badge', height: '20' }) : null),
    h('p', { class: 'note', text: 'For your own pages (Markdown):' }),
    h('pre', { class: 'snippet' }, h('code', { text: `![CRN status](${abs})` +
      (withUptime ? `\n![CRN uptime](${abs}?metric=uptime7d)` : '') })));
}
