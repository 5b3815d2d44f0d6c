// Small SVG charts (bars and lines over time), drawn from the stats series: no chart library, since four charts
// of at most a few hundred points need none (docs/adr/0014-console.md).
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A chart: `times` (ISO strings), `series` [{label, values, kind: 'bar'|'line', tone}], `format` for the axis.
 * Returns a <figure> with the title, the legend and the SVG.
 */
export function chart(title, times, series, format = v => String(v)) {
  const W = 560, H = 190, L = 64, R = 16, T = 10, B = 24;
  const all = series.flatMap(s => s.values.filter(v => v !== null && v !== undefined));
  const max = Math.max(1e-9, ...all) * 1.1;
  const n = Math.max(1, times.length);
  const step = (W - L - R) / n;
  const y = v => T + (H - T - B) * (1 - v / max);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  for (const f of [0, 0.5, 1]) {
    const v = (max / 1.1) * f;
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'gridline' }));
    svg.append(el('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, format(v)));
  }
  const bars = series.filter(s => s.kind === 'bar');
  bars.forEach((s, i) => {
    const w = Math.max(1, (step - 2) / bars.length);
    s.values.forEach((v, j) => {
      if (!v) return;
      const r = el('rect', { x: L + j * step + 1 + i * w, y: y(v), width: w, height: H - B - y(v), class: 'bar ' + s.tone });
      r.append(el('title', {}, `${new Date(times[j]).toLocaleTimeString()} · ${s.label}: ${format(v)}`));
      svg.append(r);
    });
  });
  for (const s of series.filter(s => s.kind !== 'bar')) {
    const points = s.values.map((v, j) => (v === null || v === undefined ? null : `${L + j * step + step / 2},${y(v)}`));
    let d = '';
    let pen = false;
    for (const p of points) { if (p === null) { pen = false; continue; } d += (pen ? 'L' : 'M') + p; pen = true; }
    if (d) svg.append(el('path', { d, class: 'line ' + s.tone }));
    points.forEach((p, j) => {
      if (p === null || (points[j - 1] != null && points[j + 1] != null)) return; // a lone or end point: a dot, so one bucket still shows
      const [cx, cy] = p.split(',');
      const dot = el('circle', { cx, cy, r: 3, class: 'dot ' + s.tone });
      dot.append(el('title', {}, `${new Date(times[j]).toLocaleTimeString()} · ${s.label}: ${format(s.values[j])}`));
      svg.append(dot);
    });
  }
  [[0, 'start'], [Math.floor(n / 2), 'middle'], [n - 1, 'end']].forEach(([j, anchor]) => {
    const x = anchor === 'start' ? L : anchor === 'end' ? W - R : L + j * step + step / 2;
    if (times[j]) svg.append(el('text', { x, y: H - 6, class: 'axis', 'text-anchor': anchor }, shortTime(times[j], times)));
  });
  const figure = document.createElement('figure');
  figure.className = 'card chart-card';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const legend = document.createElement('span');
  legend.className = 'legend';
  for (const s of series) {
    const item = document.createElement('span');
    item.className = 'key ' + s.tone;
    item.textContent = s.label;
    legend.append(item);
  }
  caption.append(legend);
  figure.append(caption, svg);
  return figure;
}

function shortTime(iso, times) {
  const d = new Date(iso);
  const span = new Date(times[times.length - 1]) - new Date(times[0]);
  return span > 2 * 86400e3 ? d.toLocaleDateString([], { month: 'short', day: 'numeric' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
