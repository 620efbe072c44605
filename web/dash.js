// dash.js is the dashboard: the fleet's totals and a sortable, filterable
// table of nodes, kept current by the change stream (or by polling when the
// stream is refused: live.js), and the router that
// shows a node's page at #/nodes/{hash}. It reads only what any client
// reads: crns.json, uptime.json, crns/changes and the history API.
//
// Node strings are hostile: everything is built with createElement and
// textContent, never innerHTML.
import { nodeModel, summarize, bytes, percent, ago, str } from './fleet.js';
import { showNode, hideNode, nodeChanged } from './node.js';
import { follow } from './live.js';

const $ = (id) => document.getElementById(id);

const state = {
  doc: null, // last crns.json
  etag: '', // its ETag, for If-None-Match
  uptime: null, // uptime.json, or null when the service keeps no history
  history: undefined, // whether the service keeps history; undefined: not known yet
  uptimeAt: 0,
  lastCrnVersion: null, // the settings' last_crn_version, from /debug/task
  taskAt: 0,
  taskOff: false, // the service has no debug endpoints
  models: [],
  byHash: new Map(), // hash → {model, key, tr}
  sort: { key: 'score', dir: -1 },
  loading: null,
  again: false,
  flash: new Map(), // hash → change, for the next render
};

// The columns of the node table. sort gives the value sorted on (null
// sorts last either way); cell fills the cell.
const columns = [
  { key: 'name', label: 'name', sort: (m) => m.name.toLowerCase(), cell: nameCell },
  { key: 'score', label: 'score', num: true, sort: (m) => m.score, cell: (m) => (m.score === null ? '' : m.score.toFixed(3)) },
  { key: 'version', label: 'version', sort: (m) => (m.versionKey ? m.versionKey[0] * 1e8 + m.versionKey[1] * 1e4 + m.versionKey[2] : null), cell: (m) => m.version || '—' },
  { key: 'cpus', label: 'CPUs', num: true, sort: (m) => m.cpus, cell: (m) => (m.cpus === null ? '' : String(m.cpus)) },
  { key: 'load', label: 'load', num: true, sort: (m) => m.load, cell: (m) => (m.load === null ? '' : m.load.toFixed(1)), title: (m) => m.load !== null && `5-minute load average over ${m.cpus} CPUs` },
  { key: 'ram', label: 'RAM free', num: true, sort: (m) => m.ramFree, cell: (m) => bytes(m.ramFree), title: (m) => m.ramTotal !== null && `of ${bytes(m.ramTotal)}` },
  { key: 'disk', label: 'disk free', num: true, sort: (m) => m.diskFree, cell: (m) => bytes(m.diskFree), title: (m) => m.diskTotal !== null && `of ${bytes(m.diskTotal)}` },
  { key: 'gpus', label: 'GPUs', sort: (m) => (m.gpuTotal ? m.gpuTotal + m.gpuFree / 1000 : null), cell: gpuText },
  { key: 'ipv6', label: 'IPv6', sort: (m) => (m.ipv6Host ? 1 : 0) + (m.ipv6VM ? 1 : 0), cell: (m) => (m.ipv6Host && m.ipv6VM ? 'yes' : m.ipv6Host ? 'host only' : 'no') },
  { key: 'conf', label: 'conf.', long: 'confidential computing', card: 'confidential', sort: (m) => (m.confidential === null ? null : m.confidential ? 1 : 0), cell: (m) => (m.confidential === null ? '?' : m.confidential ? 'yes' : 'no') },
  { key: 'up24', label: 'up 24 h', long: 'uptime over 24 h', card: 'uptime 24 h', num: true, needsUptime: true, sort: (m) => m.up24, cell: (m) => percent(m.up24) },
  { key: 'seen', label: 'last seen', sort: (m) => (m.lastSeen ? m.lastSeen.getTime() : null), cell: (m) => ago(m.lastSeen, Date.now()), title: (m) => m.lastSeen && m.lastSeen.toISOString() },
  { key: 'error', label: 'error', sort: (m) => m.errClass || null, cell: (m) => m.errClass, title: (m) => m.errText },
];

function nameCell(m, td) {
  const a = document.createElement('a');
  a.href = '#/nodes/' + encodeURIComponent(m.hash);
  a.textContent = m.name || m.hash.slice(0, 12) || '(no name)';
  const span = document.createElement('span');
  span.appendChild(a);
  if (m.inactive) span.appendChild(tag('inactive', 'tag muted'));
  else if (m.config === 'failing') span.appendChild(tag('down', 'tag bad'));
  else if (m.config === 'partial') span.appendChild(tag('invalid data', 'tag warn'));
  if (m.identityMismatch) {
    const t = tag('other node', 'tag bad');
    t.title = 'its config says it is node ' + m.claimedHash;
    span.appendChild(t);
  }
  td.appendChild(span);
  td.title = m.name;
  return null;
}

function gpuText(m) {
  return m.gpus.map((g) => `${g.model} ×${g.total} (${g.free} free)`).join(', ');
}

function tag(text, cls) {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  return s;
}

function visibleColumns() {
  return columns.filter((c) => !c.needsUptime || state.uptime);
}

// --- table ---------------------------------------------------------------

function buildRow(m) {
  const tr = document.createElement('tr');
  tr.dataset.hash = m.hash;
  if (m.failing) tr.classList.add('failing');
  if (m.inactive) tr.classList.add('inactive');
  for (const c of visibleColumns()) {
    const td = document.createElement('td');
    td.dataset.label = c.card || c.label;
    td.className = 'c-' + c.key + (c.num ? ' num' : '');
    const text = c.cell(m, td);
    if (text !== null) td.textContent = text;
    const title = c.title && c.title(m);
    if (title) td.title = title;
    tr.appendChild(td);
  }
  return tr;
}

function buildHead() {
  const tr = document.querySelector('#nodes thead tr');
  const pick = $('sort-pick');
  tr.replaceChildren();
  pick.replaceChildren();
  for (const c of visibleColumns()) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.className = 'c-' + c.key + (c.num ? ' num' : '');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.key = c.key;
    b.textContent = c.label;
    if (c.long) b.title = c.long;
    b.appendChild(tag('', 'arrow'));
    b.addEventListener('click', () => sortBy(c.key));
    th.appendChild(b);
    tr.appendChild(th);
    for (const dir of [-1, 1]) {
      const o = document.createElement('option');
      o.value = c.key + ':' + dir;
      o.textContent = c.label + (dir < 0 ? ' ↓' : ' ↑');
      pick.appendChild(o);
    }
  }
  markSort();
}

function markSort() {
  for (const th of document.querySelectorAll('#nodes thead th')) {
    const key = th.querySelector('button').dataset.key;
    const on = key === state.sort.key;
    th.setAttribute('aria-sort', on ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    th.querySelector('.arrow').textContent = on ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : '';
  }
  $('sort-pick').value = state.sort.key + ':' + state.sort.dir;
}

function sortBy(key) {
  // A new column sorts text up and numbers down; the same column flips.
  const c = columns.find((x) => x.key === key);
  if (state.sort.key === key) state.sort.dir = -state.sort.dir;
  else state.sort = { key, dir: c.num || key === 'seen' || key === 'up24' ? -1 : 1 };
  markSort();
  render();
}

// matches says whether m passes the filters; hw is {cpu, mem}, the CPU
// model and memory type picked ('' for any).
function matches(m, needle, show, withGPU, hw) {
  if (withGPU && m.gpuTotal === 0) return false;
  if (hw.cpu && m.cpuModel !== hw.cpu) return false;
  if (hw.mem && m.memType !== hw.mem) return false;
  switch (show) {
    case 'active': if (m.inactive) return false; break;
    case 'responsive': if (!m.responsive) return false; break;
    case 'failing': if (!m.failing) return false; break;
    case 'inactive': if (!m.inactive) return false; break;
  }
  if (!needle) return true;
  const hay = [m.name, m.hash, m.address, m.version, m.cpuModel, ...m.gpus.map((g) => g.model)].join('\n').toLowerCase();
  return hay.includes(needle);
}

// render sorts and filters the kept rows and attaches them in one go.
function render() {
  const c = columns.find((x) => x.key === state.sort.key) || columns[1];
  const dir = state.sort.dir;
  const rows = state.models.map((m) => ({ m, v: c.sort(m) }));
  rows.sort((a, b) => {
    if (a.v === null || a.v === undefined) return b.v === null || b.v === undefined ? 0 : 1;
    if (b.v === null || b.v === undefined) return -1;
    return (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) * dir;
  });
  const needle = $('filter').value.trim().toLowerCase();
  const show = $('state').value;
  const withGPU = $('with-gpu').checked;
  const hw = { cpu: $('cpu-model').value, mem: $('mem-type').value };
  const frag = document.createDocumentFragment();
  let shown = 0;
  for (const { m } of rows) {
    if (!matches(m, needle, show, withGPU, hw)) continue;
    const row = state.byHash.get(m.hash);
    const change = state.flash.get(m.hash);
    if (change) {
      row.tr.classList.remove('flash', 'flash-up', 'flash-down');
      void row.tr.offsetWidth; // restart the animation
      row.tr.classList.add(change === 'down' ? 'flash-down' : 'flash-up');
    }
    frag.appendChild(row.tr);
    shown++;
  }
  state.flash.clear();
  document.querySelector('#nodes tbody').replaceChildren(frag);
  $('shown').textContent = shown === state.models.length ? `${shown} nodes` : `${shown} of ${state.models.length} nodes`;
}

// --- summary -------------------------------------------------------------

function renderSummary(lastCrnVersion) {
  const s = summarize(state.models, lastCrnVersion);
  $('n-listed').textContent = s.listed;
  $('n-responsive').textContent = s.responsive;
  $('n-failing').textContent = s.failing;
  $('n-inactive').textContent = s.inactive;
  $('n-ipv6').textContent = s.ipv6Both;
  $('n-ipv6-host').textContent = `host and VM; ${s.ipv6Host} from the host`;

  const vt = document.querySelector('#versions tbody');
  vt.replaceChildren(...s.versions.map((v) => {
    const tr = document.createElement('tr');
    if (v.behind) tr.className = 'behind';
    const a = document.createElement('td');
    a.textContent = v.version;
    if (v.behind) a.appendChild(tag('behind', 'tag warn'));
    const b = document.createElement('td');
    b.className = 'num';
    b.textContent = v.count;
    tr.append(a, b);
    return tr;
  }));
  $('behind').textContent = s.reference
    ? `${s.behind} of ${s.listed} nodes run a version older than ${s.reference.text} (${s.referenceKind}).`
    : 'No node reports a version yet.';

  const gt = document.querySelector('#gpus tbody');
  gt.replaceChildren(...s.gpus.map((g) => {
    const tr = document.createElement('tr');
    for (const [text, cls] of [[g.model, ''], [g.total, 'num'], [g.free, 'num'], [g.nodes, 'num']]) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    return tr;
  }));
  $('gpus').hidden = s.gpus.length === 0;
  $('no-gpus').hidden = s.gpus.length !== 0;
  fillChoices($('cpu-model'), s.cpuModels, 'any CPU');
  fillChoices($('mem-type'), s.memTypes, 'any memory');
}

// fillChoices lists the values the fleet reports in a filter's select,
// each with its count, keeping the one picked (with 0 when no node
// reports it any more, so that a filter never changes under the reader).
function fillChoices(sel, values, anyLabel) {
  const picked = sel.value;
  const opts = [new Option(anyLabel, '')];
  let kept = picked === '';
  for (const v of values) {
    opts.push(new Option(`${v.value} (${v.count})`, v.value));
    if (v.value === picked) kept = true;
  }
  if (!kept) opts.push(new Option(`${picked} (0)`, picked));
  sel.replaceChildren(...opts);
  sel.value = picked;
  sel.disabled = values.length === 0 && picked === '';
}

// --- data ----------------------------------------------------------------

async function fetchUptime(force) {
  if (!force && Date.now() - state.uptimeAt < 30_000) return false;
  state.uptimeAt = Date.now();
  try {
    const resp = await fetch('uptime.json', { cache: 'no-cache' });
    if (resp.status === 404) {
      const had = state.uptime !== null;
      state.uptime = null;
      state.history = false;
      return had;
    }
    if (!resp.ok) return false;
    state.uptime = await resp.json();
    state.history = true;
    $('uptime-link').hidden = false;
    return true;
  } catch (e) {
    return false;
  }
}

// fetchReference reads the network's last_crn_version from /debug/task,
// at most once a minute: the settings aggregate changes rarely, and
// crns.json (whose shape strict clients fix) does not carry it. Without
// debug endpoints the summary falls back to the newest version seen.
async function fetchReference() {
  if (state.taskOff || Date.now() - state.taskAt < 60_000) return;
  state.taskAt = Date.now();
  try {
    const resp = await fetch('debug/task', { cache: 'no-cache' });
    if (resp.status === 404) {
      state.taskOff = true;
      return;
    }
    if (!resp.ok) return;
    const task = await resp.json();
    state.lastCrnVersion = typeof task.last_crn_version === 'string' ? task.last_crn_version : null;
  } catch (e) {
    // keep the last known reference
  }
}

// load fetches crns.json, conditionally on the ETag it has, and rebuilds
// only the rows whose CRN changed. Calls while one runs fold into one
// more run after it.
function load(opts) {
  if (state.loading) {
    state.again = true;
    return state.loading;
  }
  state.loading = (async () => {
    try {
      do {
        state.again = false;
        await loadOnce(opts || {});
      } while (state.again);
      $('load-error').hidden = true;
    } catch (err) {
      $('load-error').textContent = 'Could not load crns.json: ' + (err && err.message ? err.message : String(err));
      $('load-error').hidden = false;
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

async function loadOnce(opts) {
  const [uptimeChanged] = await Promise.all([fetchUptime(opts.forceUptime), fetchReference()]);
  const headers = { Accept: 'application/json' };
  if (state.etag && !uptimeChanged) headers['If-None-Match'] = state.etag;
  const resp = await fetch('crns.json', { cache: 'no-store', headers });
  if (resp.status === 304) return;
  if (!resp.ok) throw new Error(resp.status + ' ' + resp.statusText);
  const doc = await resp.json();
  state.etag = resp.headers.get('ETag') || '';
  state.doc = doc;
  apply(doc);
}

function apply(doc) {
  const crns = doc && Array.isArray(doc.crns) ? doc.crns : [];
  const headChanged = document.querySelectorAll('#nodes thead th').length !== visibleColumns().length;
  if (headChanged) buildHead();
  const next = new Map();
  state.models = crns.map((crn) => {
    const up = state.uptime ? state.uptime[str(crn.hash)] : undefined;
    const key = JSON.stringify(crn) + '|' + JSON.stringify(up || null);
    const m = nodeModel(crn, up);
    const old = state.byHash.get(m.hash);
    const row = old && old.key === key && !headChanged ? old : { key, tr: buildRow(m) };
    row.model = m;
    next.set(m.hash, row);
    return m;
  });
  state.byHash = next;
  const last = doc ? doc.last_refresh : null;
  $('last-refresh').textContent = typeof last === 'string' ? last.replace('T', ' ').slice(0, 19) + ' UTC' : 'never';
  if (typeof last === 'string') $('last-refresh').dateTime = last;
  renderSummary((doc && doc.last_crn_version) || state.lastCrnVersion || null);
  render();
  nodeChanged(state);
}

// --- live updates --------------------------------------------------------

// followChanges keeps the page current through live.js: the change stream,
// or polling when it is refused.
function followChanges() {
  follow($('live'), {
    async reload(force) {
      const before = state.etag;
      await load(force ? { forceUptime: true } : undefined);
      return state.etag !== before;
    },
    publication(changes) {
      // Every round changes every probed CRN (its probe times), so only
      // what a person wants to see moves: up, down, added.
      for (const c of changes) {
        if (c.change === 'up' || c.change === 'down' || c.change === 'added') state.flash.set(str(c.hash), c.change);
      }
      load();
    },
  });
}

// --- routing and wiring --------------------------------------------------

function route() {
  const m = /^#\/nodes\/([^/]+)$/.exec(location.hash);
  if (m) {
    $('fleet-view').hidden = true;
    showNode(decodeURIComponent(m[1]), state);
    return;
  }
  hideNode();
  $('fleet-view').hidden = false;
}

// Arrow keys move between the rows' links; / jumps to the filter.
function keys(ev) {
  if (ev.key === '/' && document.activeElement.tagName !== 'INPUT' && !$('fleet-view').hidden) {
    ev.preventDefault();
    $('filter').focus();
    return;
  }
  if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
  const link = document.activeElement;
  if (!link || !link.closest || !link.closest('#nodes tbody')) return;
  const tr = link.closest('tr');
  const next = ev.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
  if (next) {
    ev.preventDefault();
    next.querySelector('a').focus();
  }
}

function init() {
  buildHead();
  for (const id of ['filter', 'state', 'with-gpu', 'cpu-model', 'mem-type']) $(id).addEventListener('input', render);
  for (const id of ['state', 'cpu-model', 'mem-type']) $(id).addEventListener('change', render);
  $('sort-pick').addEventListener('change', () => {
    const [key, dir] = $('sort-pick').value.split(':');
    state.sort = { key, dir: Number(dir) };
    markSort();
    render();
  });
  $('filters').addEventListener('submit', (ev) => ev.preventDefault());
  document.querySelector('#nodes tbody').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr');
    if (tr && !ev.target.closest('a') && !window.getSelection().toString()) location.hash = '#/nodes/' + encodeURIComponent(tr.dataset.hash);
  });
  document.addEventListener('keydown', keys);
  window.addEventListener('hashchange', route);
  // Relative times age: refresh them twice a minute.
  setInterval(() => {
    for (const row of state.byHash.values()) {
      const td = row.tr.querySelector('.c-seen');
      if (td) td.textContent = ago(row.model.lastSeen, Date.now());
    }
  }, 30_000);
  load({ forceUptime: true }).then(() => {
    route();
    followChanges();
  });
}

init();
