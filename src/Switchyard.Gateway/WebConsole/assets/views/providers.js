// Providers and deployments: /v1/deployments (live health, circuit state, in-flight, latency and TTFT estimates,
// key pools by fingerprint), refreshed every 5 s.
import { h, mount, fmt, badge, table, problem } from '../dom.js';
import { api } from '../api.js';

export function render(page) {
  const body = h('div');
  mount(page, h('div', { class: 'toolbar' }, h('h1', { text: 'Providers and deployments' })), body);
  async function refresh() {
    try {
      const list = (await api('/v1/deployments')).data;
      mount(body, h('div', { class: 'card' }, table([
        { label: 'deployment', get: d => d.deployment },
        { label: 'provider', get: d => d.provider },
        { label: 'upstream model', get: d => d.upstream_model },
        { label: 'circuit', get: d => badge(d.circuit.replace('_', ' '), d.circuit === 'closed' ? 'ok' : d.circuit === 'open' ? 'bad' : 'warn') },
        { label: 'in flight', get: d => fmt.int(d.in_flight), class: 'num' },
        { label: 'latency (ewma)', get: d => fmt.ms(d.latency_ewma_ms), class: 'num' },
        { label: 'TTFT (ewma)', get: d => fmt.ms(d.ttft_ewma_ms), class: 'num' },
        { label: 'window', get: d => `${fmt.int(d.window_requests)} req · ${fmt.int(d.window_failures)} failed`, class: 'num' },
        { label: 'keys', get: d => keys(d.keys) },
      ], list)));
    } catch (err) {
      mount(body, problem(err));
    }
  }
  refresh();
  const timer = setInterval(refresh, 5000);
  return () => clearInterval(timer);
}

function keys(k) {
  if (!k) return '–';
  return h('span', { class: 'pool' }, k.pool.map(p => badge(p.fingerprint, p.state === 'available' ? 'ok' : 'warn')),
    h('small', { text: ` ${k.available}/${k.count} available` }));
}
