// Unit test of web/when.js, the one way pages write times: no browser,
// no demo; its functions other than timeElement touch no DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toDate, utc, relative, when, utcClock, utcDay, NONE } from '../when.js';

const at = Date.parse('2026-12-06T19:58:41.123456+00:00');

test('utc writes YYYY-MM-DD HH:MM UTC whatever the input type', () => {
  for (const v of ['2026-12-06T19:58:41.123456+00:00', '2026-12-06T20:58:41+01:00', at, new Date(at)]) {
    assert.equal(utc(v), '2026-12-06 19:58 UTC', String(v));
  }
  assert.equal(utc('2026-01-02T03:04:00Z'), '2026-01-02 03:04 UTC');
  assert.equal(utcClock(at), '19:58');
  assert.equal(utcDay(at), '12-06');
});

test('no time is a dash, never "None", "never" or "Invalid Date"', () => {
  for (const v of [null, undefined, '', 'None', 'yesterday', NaN, {}, []]) {
    assert.equal(toDate(v), null, JSON.stringify(v));
    assert.equal(utc(v), NONE);
    assert.equal(relative(v, at), NONE);
    assert.equal(when(v, at), NONE);
  }
  assert.equal(NONE, '—');
});

test('relative picks the unit by how long ago', () => {
  const cases = [
    [0, '0 s ago'], [89e3, '89 s ago'], [90e3, '2 min ago'], [5 * 60e3, '5 min ago'],
    [89 * 60e3, '89 min ago'], [90 * 60e3, '2 h ago'], [35 * 3600e3, '35 h ago'],
    [36 * 3600e3, '2 d ago'], [10 * 86400e3, '10 d ago'], [-3 * 60e3, 'in 3 min'],
  ];
  for (const [ms, want] of cases) assert.equal(relative(at, at + ms), want, `${ms} ms`);
});

test('when writes both, the relative part in parentheses', () => {
  assert.equal(when(at, at + 5 * 60e3), '2026-12-06 19:58 UTC (5 min ago)');
});
