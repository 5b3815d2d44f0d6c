// Overview: the last N minutes of traffic from /v1/admin/stats (totals, p50/p99, series) and the top models, keys
// and routes from /v1/admin/spend; refreshed every 5 s while the page is open.
import { h, mount, fmt, stat, table, problem } from '../dom.js';
import { api, query, ago, ranges } from '../api.js';
import { chart } from '../chart.js';

const REFRESH_MS = 5000;

export function render(page) {
  let range = sessionStorage.getItem('switchyard.range') || '1h';
  let live = true;
  const body = h('div', { id: 'overview-body' });
  const updated = h('span', { class: 'muted', id: 'updated' });
  const picker = h('div', { class: 'segmented' }, ranges.map(([name]) => h('button', {
    class: name === range ? 'on' : null, text: name, dataset: { range: name },
    onclick: e => { range = name; sessionStorage.setItem('switchyard.range', name); for (const b of picker.children) b.classList.toggle('on', b === e.target); refresh(); },
  })));
  const liveBox = h('input', { type: 'checkbox', checked: true, onchange: e => { live = e.target.checked; } });
  mount(page, h('div', { class: 'toolbar' }, h('h1', { text: 'Overview' }), picker,
    h('label', { class: 'inline' }, liveBox, ' live'), updated), body);

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const ms = ranges.find(r => r[0] === range)[1];
      const from = ago(ms);
      const [stats, models, keys, routes] = await Promise.all([
        api('/v1/admin/stats' + query({ from })),
        api('/v1/admin/spend' + query({ from, group_by: 'model', order: 'requests', limit: 5 })),
        api('/v1/admin/spend' + query({ from, group_by: 'key', order: 'requests', limit: 5 })),
        api('/v1/admin/spend' + query({ from, group_by: 'route', order: 'requests', limit: 5 })),
      ]);
      draw(stats, models.data, keys.data, routes.data);
      updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (err) {
      mount(body, problem(err));
    } finally {
      busy = false;
    }
  }

  function draw(stats, models, keys, routes) {
    const t = stats.total;
    const times = stats.series.map(b => b.start);
    const s = k => stats.series.map(b => b[k]);
    const errorRate = t.requests ? t.errors / t.requests : null;
    mount(body,
      h('div', { class: 'stats' },
        stat('Requests', fmt.int(t.requests), stats.sampled ? 'newest 50,000 shown' : null, 'requests'),
        stat('Errors', fmt.int(t.errors), fmt.pct(errorRate), 'errors'),
        stat('Latency p50 / p99', `${fmt.ms(t.latency_p50_ms)} / ${fmt.ms(t.latency_p99_ms)}`, null, 'latency'),
        stat('TTFT p50 / p99', `${fmt.ms(t.ttft_p50_ms)} / ${fmt.ms(t.ttft_p99_ms)}`, null, 'ttft'),
        stat('Tokens', fmt.int(t.tokens.total), `${fmt.int(t.tokens.prompt)} in · ${fmt.int(t.tokens.completion)} out`, 'tokens'),
        stat('Spend', fmt.usd(t.cost_usd), null, 'spend')),
      h('div', { class: 'charts' },
        chart('Requests and errors', times, [
          { label: 'requests', values: s('requests'), kind: 'bar', tone: 'blue' },
          { label: 'errors', values: s('errors'), kind: 'bar', tone: 'red' }], v => fmt.int(Math.round(v))),
        chart('Latency and TTFT', times, [
          { label: 'p50', values: s('latency_p50_ms'), tone: 'blue' },
          { label: 'p99', values: s('latency_p99_ms'), tone: 'purple' },
          { label: 'TTFT p50', values: s('ttft_p50_ms'), tone: 'green' }], v => fmt.ms(v)),
        chart('Tokens', times, [
          { label: 'prompt', values: stats.series.map(b => b.tokens.prompt), kind: 'bar', tone: 'blue' },
          { label: 'completion', values: stats.series.map(b => b.tokens.completion), kind: 'bar', tone: 'green' }], v => fmt.int(Math.round(v))),
        chart('Spend (USD)', times, [{ label: 'spend', values: s('cost_usd'), tone: 'orange' }], v => (v === 0 ? '$0' : '$' + v.toPrecision(2)))),
      h('div', { class: 'tops' }, top('Top models', models), top('Top keys', keys), top('Top routes', routes)));
  }

  function top(title, rows) {
    return h('div', { class: 'card' }, h('h2', { text: title }), table([
      { label: 'name', get: r => r.group ?? '(none)' },
      { label: 'requests', get: r => fmt.int(r.requests), class: 'num' },
      { label: 'errors', get: r => fmt.int(r.errors), class: 'num' },
      { label: 'spend', get: r => fmt.usd(r.cost_usd), class: 'num' },
    ], rows));
  }

  refresh();
  const timer = setInterval(() => { if (live) refresh(); }, REFRESH_MS);
  return () => clearInterval(timer);
}
