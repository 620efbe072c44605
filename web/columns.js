// columns.js is the node table's columns: what each shows, how it sorts,
// and the row built from them. Cells are built with createElement and
// textContent only: node strings are hostile.
import { bytes, percent } from './fleet.js';
import { timeElement, NONE } from './when.js';

export function tag(text, cls) {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  return s;
}

// ownerLink links an operator's address to its page, shortened to its
// ends (the title holds it whole).
export function ownerLink(owner) {
  const a = document.createElement('a');
  a.href = '#/owners/' + encodeURIComponent(owner);
  a.className = 'owner mono';
  a.textContent = owner.length > 14 ? owner.slice(0, 8) + '…' + owner.slice(-4) : owner;
  a.title = 'all nodes of ' + owner;
  return a;
}

// downSince is when a failing node went down, as the history store saw
// its config probe fail; null when it is not down or nobody knows.
export function downSince(m) {
  return m.failing && m.stateUp === false ? m.since : null;
}

// The columns of the node table. sort gives the value sorted on (null
// sorts last either way); cell fills the cell: it returns its text, or
// null when it filled td itself. needsUptime: shown only with history.
export const columns = [
  { key: 'name', label: 'name', sort: (m) => m.name.toLowerCase(), cell: nameCell },
  { key: 'owner', label: 'owner', sort: (m) => m.owner.toLowerCase() || null, cell: (m, td) => (m.owner ? (td.append(ownerLink(m.owner)), null) : '') },
  { key: 'score', label: 'score', num: true, sort: (m) => m.score, cell: (m) => (m.score === null ? '' : m.score.toFixed(3)) },
  { key: 'version', label: 'version', sort: (m) => (m.versionKey ? m.versionKey[0] * 1e8 + m.versionKey[1] * 1e4 + m.versionKey[2] : null), cell: versionCell },
  { key: 'cpus', label: 'CPUs', num: true, sort: (m) => m.cpus, cell: (m) => (m.cpus === null ? '' : String(m.cpus)) },
  { key: 'load', label: 'load', num: true, sort: (m) => m.load, cell: (m) => (m.load === null ? '' : m.load.toFixed(1)), title: (m) => m.load !== null && `5-minute load average over ${m.cpus} CPUs` },
  { key: 'ram', label: 'RAM free', num: true, sort: (m) => m.ramFree, cell: (m) => bytes(m.ramFree), title: (m) => m.ramTotal !== null && `of ${bytes(m.ramTotal)}` },
  { key: 'disk', label: 'disk free', num: true, sort: (m) => m.diskFree, cell: (m) => bytes(m.diskFree), title: (m) => m.diskTotal !== null && `of ${bytes(m.diskTotal)}` },
  { key: 'gpus', label: 'GPUs', sort: (m) => (m.gpuTotal ? m.gpuTotal + m.gpuFree / 1000 : null), cell: gpuCell },
  { key: 'ipv6', label: 'IPv6', sort: (m) => (m.ipv6Host ? 1 : 0) + (m.ipv6VM ? 1 : 0), cell: (m) => (m.ipv6Host && m.ipv6VM ? 'yes' : m.ipv6Host ? 'host only' : 'no') },
  { key: 'conf', label: 'conf.', long: 'confidential computing', card: 'confidential', sort: (m) => (m.confidential === null ? null : m.confidential ? 1 : 0), cell: (m) => (m.confidential === null ? '?' : m.confidential ? 'yes' : 'no') },
  { key: 'up24', label: 'up 24 h', long: 'uptime over 24 h', card: 'uptime 24 h', short: '24 h', num: true, needsUptime: true, sort: (m) => m.up24, cell: (m) => percent(m.up24) },
  { key: 'up7', label: 'up 7 d', long: 'uptime over 7 days', card: 'uptime 7 d', short: '7 d', num: true, needsUptime: true, sort: (m) => m.up7, cell: (m) => percent(m.up7) },
  { key: 'seen', label: 'last seen', short: 'seen', long: 'last config answered', sort: (m) => (m.lastSeen ? m.lastSeen.getTime() : null), cell: (m, td) => (timeElement(td, m.lastSeen), null) },
  { key: 'since', label: 'down since', long: 'when its config probe began to fail', needsUptime: true, sort: (m) => (downSince(m) ? -downSince(m).getTime() : null), cell: sinceCell },
  { key: 'error', label: 'error', sort: (m) => m.errText || null, cell: (m) => m.errText || '' },
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

function versionCell(m, td) {
  td.append(m.version || NONE);
  if (m.behind) td.append(tag('behind', 'tag warn'));
  return null;
}

// gpuCell lists each model whole, each a button that filters the table
// on it (dash.js listens on the table body).
function gpuCell(m, td) {
  for (const g of m.gpus) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'gpu-pick';
    b.dataset.model = g.model;
    b.title = `${g.total} compatible, ${g.free} free; show only nodes with ${g.model}`;
    b.textContent = `${g.model} ×${g.total}`;
    td.append(b);
  }
  return null;
}

function sinceCell(m, td) {
  const at = downSince(m);
  if (at) return (timeElement(td, at), null);
  if (!m.failing) return ''; // not down: nothing to date
  td.title = 'the history has not seen its config probe fail (its usage probe may be what fails)';
  return NONE;
}
