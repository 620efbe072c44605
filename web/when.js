// when.js is the one way every page writes a time: in UTC as
// "YYYY-MM-DD HH:MM UTC", with how long ago beside it ("5 min ago"), and
// "—" when there is none. Readers compare times across pages, logs and
// other people's screens; a local or 12-hour clock would make them
// convert.

export const NONE = '—';

// toDate reads a Date, an RFC 3339 string or milliseconds since the
// epoch; null for anything else (null, "None", an unparsable string).
export function toDate(v) {
  let d = null;
  if (v instanceof Date) d = v;
  else if (typeof v === 'string' && v !== '' && v !== 'None') d = new Date(v);
  else if (typeof v === 'number' && Number.isFinite(v)) d = new Date(v);
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

const pad = (n) => String(n).padStart(2, '0');

// utc writes "2026-12-06 19:58 UTC", or "—".
export function utc(v) {
  const d = toDate(v);
  if (!d) return NONE;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

// utcClock writes the hour and minute alone, "19:58", for chart axes,
// whose full times are in each bar's title.
export function utcClock(v) {
  const d = toDate(v);
  return d ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : NONE;
}

// utcDay writes the month and day alone, "12-06", for chart axes.
export function utcDay(v) {
  const d = toDate(v);
  return d ? `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` : NONE;
}

// relative writes how long ago v was as of now (ms): "40 s ago",
// "5 min ago", "3 h ago", "2 d ago"; "in 5 min" for a time ahead; "—"
// for none.
export function relative(v, now) {
  const d = toDate(v);
  if (!d) return NONE;
  const diff = Math.round(((now === undefined ? Date.now() : now) - d.getTime()) / 1000);
  const s = Math.abs(diff);
  let text;
  if (s < 90) text = s + ' s';
  else if (s < 90 * 60) text = Math.round(s / 60) + ' min';
  else if (s < 36 * 3600) text = Math.round(s / 3600) + ' h';
  else text = Math.round(s / 86400) + ' d';
  return diff < 0 ? 'in ' + text : text + ' ago';
}

// when writes both: "2026-12-06 19:58 UTC (5 min ago)", or "—".
export function when(v, now) {
  const d = toDate(v);
  return d ? `${utc(d)} (${relative(d, now)})` : NONE;
}

// timeElement fills el (a <time>, or any element) with when(v)'s text:
// the UTC time, then the relative one in a span of class "rel", so that
// a timer can refresh it (see refreshRelative). el keeps the ISO time in
// datetime (a <time>) or data-at.
export function timeElement(el, v, now) {
  const d = toDate(v);
  el.replaceChildren();
  if (!d) {
    el.textContent = NONE;
    el.removeAttribute(el.tagName === 'TIME' ? 'datetime' : 'data-at');
    return el;
  }
  el.setAttribute(el.tagName === 'TIME' ? 'datetime' : 'data-at', d.toISOString());
  const rel = document.createElement('span');
  rel.className = 'rel';
  rel.textContent = `(${relative(d, now)})`;
  el.append(utc(d) + ' ', rel);
  return el;
}

// refreshRelative rewrites the relative part of every time drawn by
// timeElement under root, as the clock moves on.
export function refreshRelative(root, now) {
  for (const rel of root.querySelectorAll('.rel')) {
    const host = rel.parentElement;
    const at = host.getAttribute('datetime') || host.getAttribute('data-at');
    if (at) rel.textContent = `(${relative(at, now)})`;
  }
}
