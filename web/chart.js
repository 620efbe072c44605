// chart.js draws the node page's two kinds of chart in SVG: success ratio
// as bars per bucket, latency as a line (average) over a band (maximum).
// Charts are drawn at the width of their box, so text keeps its size on a
// phone, and drawn again when the box changes width.

import { when, utcClock, utcDay } from './when.js';

const NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 120;
const PAD = { left: 54, right: 10, top: 8, bottom: 22 };

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined) e.textContent = text;
  return e;
}

// timeLabel is an axis tick in UTC: the hour over a day or so, the
// month and day over longer spans. Bars' titles hold the full time.
function timeLabel(t, span) {
  return span <= 36 * 3600e3 ? utcClock(t) : utcDay(t);
}

// frame draws the axes and returns the scales of a chart.
function frame(svg, width, from, to, yMax, yTicks, yFmt) {
  const w = width - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - from) / (to - from)) * w;
  const y = (v) => PAD.top + h - (v / yMax) * h;
  const axes = el('g', { class: 'axes' });
  for (const v of yTicks) {
    axes.appendChild(el('line', { x1: PAD.left, x2: PAD.left + w, y1: y(v), y2: y(v), class: 'grid' }));
    axes.appendChild(el('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, yFmt(v)));
  }
  const ticks = Math.max(2, Math.min(6, Math.floor(w / 90)));
  for (let i = 0; i <= ticks; i++) {
    const t = from + ((to - from) * i) / ticks;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    axes.appendChild(el('text', { x: x(t), y: HEIGHT - 6, 'text-anchor': anchor }, timeLabel(t, to - from)));
  }
  svg.appendChild(axes);
  return { x, y, w, h };
}

function svgFor(width, label) {
  const svg = el('svg', { width: width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-label': label });
  svg.appendChild(el('title', {}, label));
  return svg;
}

function pointsOf(points) {
  return points
    .map((p) => ({ t: Date.parse(p.time), p }))
    .filter((q) => Number.isFinite(q.t));
}

// uptime draws one bar per bucket with samples: its height the success
// ratio, its colour ok, degraded or bad. Buckets without samples are gaps.
export function uptime(points, opts, width) {
  const pts = pointsOf(points);
  let ok = 0;
  let total = 0;
  for (const { p } of pts) {
    total += p.samples;
    ok += p.success_ratio * p.samples;
  }
  const label = total === 0
    ? `${opts.probe} success over ${opts.rangeLabel}: no samples`
    : `${opts.probe} success over ${opts.rangeLabel}: ${((ok / total) * 100).toFixed(1)}% of ${total} samples`;
  const svg = svgFor(width, label);
  const f = frame(svg, width, opts.from, opts.to, 1, [0, 0.5, 1], (v) => v * 100 + '%');
  const bars = el('g', { class: 'bars' });
  const bw = Math.max(1, (opts.step / (opts.to - opts.from)) * f.w - 1);
  for (const { t, p } of pts) {
    if (p.samples === 0) continue;
    const r = p.success_ratio;
    const cls = r >= 1 ? 'ok' : r >= 0.9 ? 'warn' : 'bad';
    const x = Math.max(PAD.left, f.x(t));
    const bar = el('rect', {
      x: x,
      width: Math.min(bw, PAD.left + f.w - x),
      y: f.y(Math.max(r, 0.02)),
      height: f.y(0) - f.y(Math.max(r, 0.02)),
      class: 'bar ' + cls,
    });
    bar.appendChild(el('title', {}, `${when(t)}: ${(r * 100).toFixed(1)}% of ${p.samples}`));
    bars.appendChild(bar);
  }
  svg.appendChild(bars);
  return svg;
}

// niceMax rounds a latency up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 10;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) {
    if (v <= m * p) return m * p;
  }
  return 10 * p;
}

// latency draws the average latency as a line, broken where a bucket has
// no sample, over a band up to each bucket's maximum.
export function latency(points, opts, width) {
  const pts = pointsOf(points).filter((q) => q.p.samples > 0 && typeof q.p.latency_avg_ms === 'number');
  let max = 0;
  let sum = 0;
  let n = 0;
  for (const { p } of pts) {
    max = Math.max(max, p.latency_max_ms);
    sum += p.latency_avg_ms * p.samples;
    n += p.samples;
  }
  const label = n === 0
    ? `${opts.probe} latency over ${opts.rangeLabel}: no samples`
    : `${opts.probe} latency over ${opts.rangeLabel}: average ${Math.round(sum / n)} ms, maximum ${max} ms`;
  const svg = svgFor(width, label);
  const top = niceMax(max);
  const f = frame(svg, width, opts.from, opts.to, top, [0, top / 2, top], (v) => v + ' ms');
  const half = Math.max(1.5, ((opts.step / (opts.to - opts.from)) * f.w) / 2);
  const g = el('g', { class: 'latency' });
  let line = '';
  let prev = null;
  for (const { t, p } of pts) {
    const cx = f.x(t + opts.step / 2);
    const band = el('rect', {
      x: cx - half,
      width: half * 2,
      y: f.y(p.latency_max_ms),
      height: Math.max(1, f.y(p.latency_avg_ms) - f.y(p.latency_max_ms)),
      class: 'band',
    });
    band.appendChild(el('title', {}, `${when(t)}: average ${Math.round(p.latency_avg_ms)} ms, maximum ${p.latency_max_ms} ms`));
    g.appendChild(band);
    const joined = prev !== null && t - prev <= opts.step * 1.5;
    line += (joined ? 'L' : 'M') + cx.toFixed(1) + ' ' + f.y(p.latency_avg_ms).toFixed(1);
    prev = t;
  }
  if (line) g.appendChild(el('path', { d: line, class: 'avg' }));
  for (const { t, p } of pts) {
    g.appendChild(el('circle', { cx: f.x(t + opts.step / 2), cy: f.y(p.latency_avg_ms), r: 2, class: 'dot' }));
  }
  svg.appendChild(g);
  return svg;
}

// mount draws a chart into box now and whenever box changes width.
export function mount(box, draw) {
  let width = 0;
  const render = () => {
    const w = Math.floor(box.clientWidth);
    if (w <= 0 || w === width) return;
    width = w;
    box.replaceChildren(draw(Math.max(120, w)));
  };
  render();
  if (typeof ResizeObserver === 'function') {
    const ro = new ResizeObserver(() => requestAnimationFrame(render));
    ro.observe(box);
    return () => ro.disconnect();
  }
  return () => {};
}
