// debug.js builds the CRN table of debug.html from crns.json.
//
// Every string in crns.json comes from a node operator or the registry and
// is hostile: a node may name itself "<img src=x onerror=alert(1)>". The
// table is built with createElement and textContent only, never innerHTML.
// Rows are built once per load and kept, so filtering only re-attaches
// existing rows through one DocumentFragment. Times are written by
// when.js, as on every page.
import { timeElement, utc, when } from './when.js';

{
  const refreshTimeoutMs = 180000;

  const el = {
    tbody: document.querySelector('#crns tbody'),
    count: document.getElementById('row-count'),
    lastRefresh: document.getElementById('last-refresh'),
    filter: document.getElementById('filter'),
    hideInactive: document.getElementById('hide-inactive'),
    refresh: document.getElementById('refresh'),
    status: document.getElementById('status'),
  };

  // rows holds {tr, key} in the order of crns.json; key is the lower-cased
  // text the filter searches.
  let rows = [];
  // loadSeq lets a newer load win over an older one still in flight.
  let loadSeq = 0;

  function str(v) {
    if (typeof v === 'string') return v;
    return v === null || v === undefined ? '' : String(v);
  }

  // labels name each cell after its column, for the stacked layout of
  // narrow screens, where the header row is hidden.
  const labels = Array.from(document.querySelectorAll('#crns thead th'), function (th) {
    return th.textContent;
  });

  function addCell(tr, text, className, title) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    if (title) td.title = title;
    td.dataset.label = labels[tr.children.length] || '';
    tr.appendChild(td);
    return td;
  }

  // probeState reads one probe's error and time: "None" with a time is ok,
  // "None" without one was never probed, anything else is the error.
  function probeState(err, at) {
    if (typeof err === 'string' && err !== 'None') return { text: err, failing: true };
    if (at === null || at === undefined) return { text: 'not probed', failing: false };
    return { text: 'ok', failing: false };
  }

  function addProbeCell(tr, state) {
    const td = addCell(tr, state.text, state.failing ? 'probe bad' : 'probe', state.failing ? state.text : '');
    return td;
  }

  function yesNo(v) {
    if (v === true) return 'yes';
    if (v === false) return 'no';
    return '?';
  }

  function count(list) {
    return Array.isArray(list) ? list.length : 0;
  }

  function buildRow(crn, index) {
    const tr = document.createElement('tr');
    const name = str(crn.name);
    const hash = str(crn.hash);
    const address = str(crn.address);
    const config = probeState(crn.debug_config_from_crn_error, crn.debug_config_from_crn_at);
    const usage = probeState(crn.usage_from_crn_error, crn.debug_usage_from_crn_at);
    const inactive = crn.inactive_since !== null && crn.inactive_since !== undefined;

    if (config.failing || usage.failing) tr.classList.add('failing');
    if (inactive) tr.classList.add('inactive');

    addCell(tr, String(index + 1), 'num');
    addCell(tr, name, 'name', name);
    addCell(tr, hash.slice(0, 8), 'mono', hash);

    const addrCell = addCell(tr, '', 'address', address);
    if (/^https?:\/\//i.test(address)) {
      const a = document.createElement('a');
      a.href = address;
      a.rel = 'noopener noreferrer';
      a.textContent = address;
      addrCell.appendChild(a);
    } else {
      addrCell.textContent = address;
    }

    const score = typeof crn.score === 'number' && Number.isFinite(crn.score) ? crn.score.toFixed(3) : '';
    addCell(tr, score, 'num');
    addCell(tr, crn.version === null || crn.version === undefined ? '—' : str(crn.version), 'mono');
    addProbeCell(tr, config);
    addProbeCell(tr, usage);

    const v6 = crn.ipv6_check || {};
    addCell(tr, yesNo(v6.host) + '/' + yesNo(v6.vm), '', 'host: ' + yesNo(v6.host) + ', vm: ' + yesNo(v6.vm));
    addCell(tr, count(crn.compatible_gpus) + ' / ' + count(crn.compatible_available_gpus), 'num');

    let since = '';
    if (inactive && typeof crn.inactive_since === 'number') {
      since = 'since ' + when(crn.inactive_since * 1000);
    }
    addCell(tr, inactive ? 'yes' : 'no', '', since);

    return { tr: tr, key: (name + '\n' + hash + '\n' + address).toLowerCase() };
  }

  function plural(n) {
    return n === 1 ? 'CRN' : 'CRNs';
  }

  // render attaches the rows that match the filter, in one append.
  function render() {
    const needle = el.filter.value.toLowerCase();
    const frag = document.createDocumentFragment();
    let shown = 0;
    for (const row of rows) {
      if (needle === '' || row.key.includes(needle)) {
        frag.appendChild(row.tr);
        shown++;
      }
    }
    el.tbody.replaceChildren(frag);
    el.count.textContent = needle === ''
      ? rows.length + ' ' + plural(rows.length)
      : shown + ' of ' + rows.length + ' ' + plural(rows.length);
  }

  async function errorText(resp) {
    let msg = resp.status + ' ' + resp.statusText;
    try {
      const body = await resp.json();
      if (body && typeof body.error === 'string') msg += ': ' + body.error;
    } catch (e) {
      // The body was not JSON; the status says enough.
    }
    return msg;
  }

  async function fetchJSON(url) {
    const resp = await fetch(url, { cache: 'no-cache', headers: { Accept: 'application/json' } });
    if (!resp.ok) throw new Error(url + ': ' + (await errorText(resp)));
    return resp.json();
  }

  // load fetches crns.json and rebuilds every row. It resolves to false when
  // a newer load started meanwhile and this one was dropped.
  async function load() {
    const seq = ++loadSeq;
    const url = el.hideInactive.checked ? 'crns.json?filter_inactive=true' : 'crns.json';
    const data = await fetchJSON(url);
    if (seq !== loadSeq) return false;
    const crns = data && Array.isArray(data.crns) ? data.crns : [];
    rows = crns.map(buildRow);
    const last = data ? data.last_refresh : null;
    timeElement(el.lastRefresh, last);
    // datetime keeps last_refresh as crns.json writes it, to the
    // microsecond: the shown minute cannot tell two rounds apart.
    if (typeof last === 'string') el.lastRefresh.dateTime = last;
    render();
    return true;
  }

  function setStatus(text, isError) {
    el.status.textContent = text;
    el.status.classList.toggle('error', Boolean(isError));
  }

  function messageOf(err) {
    return err && err.message ? err.message : String(err);
  }

  // refresh asks the server for a refresh round, waits for it to finish, then
  // reloads the table.
  async function refresh() {
    el.refresh.disabled = true;
    setStatus('refreshing…');
    try {
      const resp = await fetch('debug/node', {
        cache: 'no-store',
        signal: AbortSignal.timeout(refreshTimeoutMs),
      });
      if (!resp.ok) throw new Error('debug/node: ' + (await errorText(resp)));
      await resp.text();
      await load();
      setStatus('refreshed at ' + utc(new Date()));
    } catch (err) {
      setStatus('refresh failed: ' + messageOf(err), true);
    } finally {
      el.refresh.disabled = false;
    }
  }

  function reload() {
    load().catch(function (err) {
      el.count.textContent = 'no data';
      setStatus('load failed: ' + messageOf(err), true);
    });
  }

  el.filter.addEventListener('input', render);
  el.hideInactive.addEventListener('change', reload);
  el.refresh.addEventListener('click', refresh);
  document.getElementById('controls').addEventListener('submit', function (ev) {
    ev.preventDefault();
  });
  reload();
}
