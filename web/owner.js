// owner.js is an operator's page (#/owners/{address}): the nodes whose
// registry owner is that address, their states and uptimes, and a
// notification config to be told when one of them goes down. It reads
// the dashboard's models; it fetches nothing of its own.
import { percent, str } from './fleet.js';
import { downSince, tag } from './columns.js';
import { timeElement, NONE } from './when.js';
import { h } from './dom.js';

let current = null; // {owner}

// A placeholder, never a real endpoint: the reader puts theirs.
export const PLACEHOLDER_URL = 'https://example.com/replace-with-your-webhook';

const box = () => document.getElementById('owner-view');

export function hideOwner() {
  if (!current) return;
  current = null;
  box().hidden = true;
  box().replaceChildren();
}

// showOwner draws the page of owner from state's models.
export function showOwner(owner, state) {
  if (current && current.owner === owner) return;
  hideOwner();
  current = { owner };
  const v = box();
  v.hidden = false;
  const title = h('h2', { id: 'owner-title', tabindex: '-1', text: 'Operator' });
  v.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: '← all nodes' })),
    title,
    h('p', { class: 'hash mono', id: 'owner-address', text: owner }),
    h('p', { id: 'owner-summary', class: 'note', role: 'status' }),
    h('div', { class: 'scroll' }, h('table', { id: 'owner-nodes', class: 'events' },
      h('thead', {}, h('tr', {}, ...['node', 'state', 'down since', 'error', 'up 24 h', 'up 7 d', 'version', 'last seen']
        .map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody'))),
    h('section', { 'aria-labelledby': 'notify-h' },
      h('h3', { id: 'notify-h', text: 'Be told when one of these nodes goes down' }),
      h('p', { class: 'note', text: 'Add this to the service\'s configuration file, with your own webhook URL; ' +
        'format is one of json, slack, discord, telegram. (--notify-url URL alone notifies of every node.)' }),
      h('pre', { class: 'snippet', id: 'notify-snippet' }, h('code', { text: notifySnippet(owner) }))),
  );
  title.focus();
  window.scrollTo(0, 0);
  document.title = 'nodelist · operator ' + owner;
  ownerChanged(state);
}

// notifySnippet is a notify: entry subscribing to owner's nodes.
export function notifySnippet(owner) {
  return [
    'notify:',
    `  - url: ${PLACEHOLDER_URL}`,
    `    owners: [${JSON.stringify(owner)}]`,
    '    events: [down, recovered, behind, inactive, active]',
    '    format: json',
  ].join('\n');
}

// ownerChanged redraws the list after crns.json or uptime.json changed.
export function ownerChanged(state) {
  if (!current) return;
  const want = current.owner.toLowerCase();
  const mine = state.models.filter((m) => m.owner.toLowerCase() === want)
    .sort((a, b) => (a.failing === b.failing ? a.name.localeCompare(b.name) : a.failing ? -1 : 1));
  const failing = mine.filter((m) => m.failing).length;
  const inactive = mine.filter((m) => m.inactive).length;
  const summary = document.getElementById('owner-summary');
  if (!state.doc) {
    summary.textContent = 'loading…';
    return;
  }
  summary.textContent = mine.length === 0
    ? 'crns.json lists no node of this operator.'
    : `${mine.length} node${mine.length === 1 ? '' : 's'}: ${mine.length - failing} answering, ${failing} failing, ${inactive} inactive.`;
  const body = document.querySelector('#owner-nodes tbody');
  body.replaceChildren(...mine.map((m) => row(m, state.uptime !== null)));
  document.getElementById('owner-nodes').hidden = mine.length === 0;
}

function row(m, withHistory) {
  const state = m.inactive ? tag('inactive', 'tag muted')
    : m.failing ? tag('down', 'tag bad')
      : m.config === 'never' ? tag('not probed yet', 'tag muted') : tag('up', 'tag ok');
  const since = h('td', { 'data-label': 'down since', class: 'o-since' });
  const at = downSince(m);
  if (at) timeElement(since, at);
  else since.textContent = m.failing ? NONE : '';
  const seen = timeElement(h('td', { 'data-label': 'last seen' }), m.lastSeen);
  const none = withHistory ? '' : NONE;
  const tr = h('tr', { class: m.failing ? 'bad' : 'ok', 'data-hash': m.hash },
    h('td', { 'data-label': 'node' }, h('a', { href: '#/nodes/' + encodeURIComponent(m.hash), text: m.name || m.hash.slice(0, 12) })),
    h('td', { 'data-label': 'state' }, state),
    since,
    h('td', { 'data-label': 'error', class: 'o-error', text: str(m.errText) }),
    h('td', { 'data-label': 'up 24 h', class: 'num', text: percent(m.up24) || none }),
    h('td', { 'data-label': 'up 7 d', class: 'num', text: percent(m.up7) || none }),
    h('td', { 'data-label': 'version' }, m.version || NONE, m.behind ? tag('behind', 'tag warn') : null),
    seen);
  return tr;
}
