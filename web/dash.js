// dash.js is the dashboard: the fleet's totals and a sortable, filterable
// table of nodes (its columns: columns.js), kept current by the change
// stream (or by polling when the stream is refused: live.js), and the
// router that shows a node's page at #/nodes/{hash} and an operator's at
// #/owners/{address}. It reads only what any client reads: crns.json,
// uptime.json, crns/changes and the history API.
//
// Node strings are hostile: everything is built with createElement and
// textContent, never innerHTML.
import { nodeModel, summarize, reference, parseVersion, str } from './fleet.js';
import { columns, tag } from './columns.js';
import { showNode, hideNode, nodeChanged } from './node.js';
import { showOwner, hideOwner, ownerChanged } from './owner.js';
import { follow } from './live.js';
import { timeElement, refreshRelative } from './when.js';

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
    td.dataset.short = c.short || c.label;
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
  else state.sort = { key, dir: c.num || key === 'seen' || key === 'since' ? -1 : 1 };
  markSort();
  render();
}

// matches says whether m passes the filters; hw is {cpu, mem, gpu}, the
// CPU model, memory type and GPU model picked ('' for any).
function matches(m, needle, show, withGPU, behind, hw) {
  if (withGPU && m.gpuTotal === 0) return false;
  if (behind && !m.behind) return false;
  if (hw.cpu && m.cpuModel !== hw.cpu) return false;
  if (hw.mem && m.memType !== hw.mem) return false;
  if (hw.gpu && !m.gpus.some((g) => g.model === hw.gpu)) return false;
  switch (show) {
    case 'active': if (m.inactive) return false; break;
    case 'responsive': if (!m.responsive) return false; break;
    case 'failing': if (!m.failing) return false; break;
    case 'inactive': if (!m.inactive) return false; break;
  }
  if (!needle) return true;
  const hay = [m.name, m.hash, m.address, m.owner, m.version, m.cpuModel, ...m.gpus.map((g) => g.model)].join('\n').toLowerCase();
  return hay.includes(needle);
}

// On a phone the table is a list of cards: the failing come first, as
// they are what a reader there looks for.
const phone = window.matchMedia('(max-width: 600px)');

// render sorts and filters the kept rows and attaches them in one go.
function render() {
  const c = columns.find((x) => x.key === state.sort.key) || columns[1];
  const dir = state.sort.dir;
  const failingFirst = phone.matches;
  const rows = state.models.map((m) => ({ m, v: c.sort(m) }));
  rows.sort((a, b) => {
    if (failingFirst && a.m.failing !== b.m.failing) return a.m.failing ? -1 : 1;
    if (a.v === null || a.v === undefined) return b.v === null || b.v === undefined ? 0 : 1;
    if (b.v === null || b.v === undefined) return -1;
    return (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) * dir;
  });
  const needle = $('filter').value.trim().toLowerCase();
  const show = $('state').value;
  const withGPU = $('with-gpu').checked;
  const behind = $('behind-only').checked;
  const hw = { cpu: $('cpu-model').value, mem: $('mem-type').value, gpu: $('gpu-model').value };
  const frag = document.createDocumentFragment();
  let shown = 0;
  for (const { m } of rows) {
    if (!matches(m, needle, show, withGPU, behind, hw)) continue;
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
    ? `${s.behind} of ${s.listed} nodes run a version older than ${s.reference.text} (${s.referenceKind}). `
    : 'No node reports a version yet.';
  if (s.behind > 0) {
    const show = document.createElement('button');
    show.type = 'button';
    show.id = 'show-behind';
    show.className = 'linkish';
    show.textContent = 'List them';
    $('behind').append(show);
  }

  const gt = document.querySelector('#gpus tbody');
  gt.replaceChildren(...s.gpus.map((g) => {
    const tr = document.createElement('tr');
    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'gpu-pick';
    pick.dataset.model = g.model;
    pick.title = 'show only nodes with ' + g.model;
    pick.textContent = g.model;
    const name = document.createElement('td');
    name.append(pick);
    tr.append(name);
    for (const n of [g.total, g.free, g.nodes]) {
      const td = document.createElement('td');
      td.textContent = n;
      td.className = 'num';
      tr.appendChild(td);
    }
    return tr;
  }));
  $('gpus').hidden = s.gpus.length === 0;
  $('no-gpus').hidden = s.gpus.length !== 0;
  fillChoices($('cpu-model'), s.cpuModels, 'any CPU');
  fillChoices($('mem-type'), s.memTypes, 'any memory');
  fillChoices($('gpu-model'), s.gpus.map((g) => ({ value: g.model, count: g.nodes })), 'any GPU');
  $('behind-label').textContent = s.reference ? `behind ${s.reference.text}` : 'behind';
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
  const lastCrnVersion = (doc && doc.last_crn_version) || state.lastCrnVersion || null;
  const ref = reference(crns.map((c) => ({ key: parseVersion(c.version), text: str(c.version) })), lastCrnVersion);
  state.models = crns.map((crn) => {
    const up = state.uptime ? state.uptime[str(crn.hash)] : undefined;
    const key = JSON.stringify(crn) + '|' + JSON.stringify(up || null) + '|' + (ref ? ref.text : '');
    const m = nodeModel(crn, up, ref);
    const old = state.byHash.get(m.hash);
    const row = old && old.key === key && !headChanged ? old : { key, tr: buildRow(m) };
    row.model = m;
    next.set(m.hash, row);
    return m;
  });
  state.byHash = next;
  // datetime keeps last_refresh as crns.json writes it: a page (or a
  // test) tells a new round by it, at a precision the shown minute lacks.
  const last = doc ? doc.last_refresh : null;
  timeElement($('last-refresh'), last);
  if (typeof last === 'string') $('last-refresh').dateTime = last;
  renderSummary(lastCrnVersion);
  render();
  nodeChanged(state);
  ownerChanged(state);
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
  const node = /^#\/nodes\/([^/]+)$/.exec(location.hash);
  const owner = /^#\/owners\/([^/]+)$/.exec(location.hash);
  if (!node) hideNode();
  if (!owner) hideOwner();
  $('fleet-view').hidden = Boolean(node || owner);
  if (node) showNode(decodeURIComponent(node[1]), state);
  else if (owner) showOwner(decodeURIComponent(owner[1]), state);
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

// pickGPU filters the table on one GPU model, as its button in a row or
// in the GPU summary asks.
function pickGPU(model) {
  const sel = $('gpu-model');
  if (![...sel.options].some((o) => o.value === model)) sel.append(new Option(`${model} (0)`, model));
  sel.value = model;
  render();
  $('nodes-h').focus();
}

function init() {
  buildHead();
  for (const id of ['filter', 'state', 'with-gpu', 'behind-only', 'cpu-model', 'mem-type', 'gpu-model']) $(id).addEventListener('input', render);
  for (const id of ['state', 'behind-only', 'cpu-model', 'mem-type', 'gpu-model']) $(id).addEventListener('change', render);
  phone.addEventListener('change', render);
  $('sort-pick').addEventListener('change', () => {
    const [key, dir] = $('sort-pick').value.split(':');
    state.sort = { key, dir: Number(dir) };
    markSort();
    render();
  });
  $('filters').addEventListener('submit', (ev) => ev.preventDefault());
  document.querySelector('#nodes tbody').addEventListener('click', (ev) => {
    const gpu = ev.target.closest('button.gpu-pick');
    if (gpu) {
      pickGPU(gpu.dataset.model);
      return;
    }
    const tr = ev.target.closest('tr');
    if (tr && !ev.target.closest('a') && !window.getSelection().toString()) location.hash = '#/nodes/' + encodeURIComponent(tr.dataset.hash);
  });
  // The summary's "List them" turns the behind filter on.
  $('behind').addEventListener('click', (ev) => {
    if (!ev.target.closest('#show-behind')) return;
    $('behind-only').checked = true;
    render();
    $('nodes-h').focus();
  });
  document.querySelector('#gpus tbody').addEventListener('click', (ev) => {
    const gpu = ev.target.closest('button.gpu-pick');
    if (gpu) pickGPU(gpu.dataset.model);
  });
  document.addEventListener('keydown', keys);
  window.addEventListener('hashchange', route);
  // Relative times age: refresh them twice a minute.
  setInterval(() => {
    const now = Date.now();
    for (const row of state.byHash.values()) refreshRelative(row.tr, now);
    for (const sel of ['.top', '#node-view', '#owner-view']) refreshRelative(document.querySelector(sel), now);
  }, 30_000);
  load({ forceUptime: true }).then(() => {
    route();
    followChanges();
  });
}

init();
