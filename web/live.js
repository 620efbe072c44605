// live.js keeps the dashboard current: it follows crns/changes and, when
// the stream is refused (the service bounds each address's streams) or
// fails, polls crns.json instead, with If-None-Match so that an unchanged
// list costs a 304 of no body, until the stream can be opened again. The
// status line says which of the two is at work.
import { utc } from './when.js';

export const POLL_MS = 10_000; // between two polls while the stream is away
export const RETRY_MS = 30_000; // before trying a refused stream again

// clock is now, as every page writes a time.
const clock = () => utc(new Date());

// follow starts following. el is the status line; on.reload(force) loads
// crns.json again (force: the uptimes too) and resolves to whether it
// changed; on.publication(data) is each publication event's data.
export function follow(el, on) {
  let es = null;
  let poller = null;

  const say = (text, ok) => {
    el.textContent = text;
    el.className = 'live ' + (ok ? 'on' : 'off');
  };

  const poll = async () => {
    let changed = false;
    try {
      changed = await on.reload(false);
    } catch (e) {
      // load() shows its own error; keep polling.
    }
    if (poller !== null) {
      say(`live updates unavailable; polling crns.json every ${POLL_MS / 1000} s · ` +
        `${changed ? 'updated' : 'checked'} ${clock()}`, false);
    }
  };
  const startPolling = (now) => {
    if (poller !== null) return;
    poller = setInterval(poll, POLL_MS);
    if (now) poll();
  };
  const stopPolling = () => {
    if (poller === null) return;
    clearInterval(poller);
    poller = null;
  };

  const connect = () => {
    if (typeof EventSource !== 'function') {
      say(`no live updates in this browser; polling crns.json every ${POLL_MS / 1000} s`, false);
      startPolling(false);
      return;
    }
    es = new EventSource('crns/changes');
    es.onopen = () => {
      stopPolling();
      say('live', true);
    };
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED) {
        // The browser reconnects by itself (with Last-Event-ID); poll
        // meanwhile, in case it takes long.
        say('reconnecting…', false);
        startPolling(false);
        return;
      }
      // Refused (this address holds its bound of streams, or the service
      // is busy): the browser gives up. Poll, and try again later.
      es = null;
      say(`live updates unavailable; polling crns.json every ${POLL_MS / 1000} s`, false);
      startPolling(true);
      setTimeout(connect, RETRY_MS);
    };
    // current: the state when we connected; reset: we missed events.
    const reload = () => on.reload(true);
    es.addEventListener('current', reload);
    es.addEventListener('reset', reload);
    es.addEventListener('publication', (ev) => {
      let data = null;
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      const changes = Array.isArray(data.changes) ? data.changes : [];
      const ups = changes.filter((c) => c.change === 'up').length;
      const downs = changes.filter((c) => c.change === 'down').length;
      say(`live · updated ${clock()}` + (downs ? ` · ${downs} down` : '') + (ups ? ` · ${ups} up` : ''), true);
      on.publication(changes);
    });
  };
  connect();
}
