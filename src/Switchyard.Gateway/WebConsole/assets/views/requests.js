// Requests explorer: /v1/admin/requests with filters, newest first, a page at a time; a row opens the record's
// whole story (/v1/admin/requests/{id}): route, intended vs final deployment, every attempt, tokens, cost, timing.
import { h, mount, fmt, field, badge, table, problem } from '../dom.js';
import { api, query, ago, ranges } from '../api.js';

const FILTERS = ['key', 'team', 'customer', 'model', 'route', 'fallback_reason'];

export function render(page) {
  const inputs = Object.fromEntries(FILTERS.map(f => [f, h('input', { name: f, placeholder: 'any' })]));
  const status = h('select', { name: 'status' }, ['', 'ok', 'error', '2xx', '4xx', '5xx', '429'].map(v => h('option', { value: v, text: v || 'any' })));
  const range = h('select', { name: 'range' }, ranges.map(([name, ms]) => h('option', { value: ms, text: 'last ' + name })));
  range.value = String(86400e3);
  const list = h('div', { id: 'request-list' });
  const detail = h('aside', { class: 'card detail', id: 'request-detail', hidden: true });
  const more = h('button', { class: 'ghost', text: 'Load more', hidden: true, onclick: () => load(true) });
  let cursor = null;
  let rows = [];

  const form = h('form', { class: 'card filters', onsubmit: e => { e.preventDefault(); load(false); } },
    field('Time', range), FILTERS.map(f => field(f.replace('_', ' '), inputs[f])), field('status', status),
    h('button', { type: 'submit', text: 'Apply' }));
  mount(page, h('div', { class: 'toolbar' }, h('h1', { text: 'Requests' })), form,
    h('div', { class: 'split' }, h('div', { class: 'card' }, list, more), detail));

  async function load(next) {
    try {
      const params = { from: ago(Number(range.value)), status: status.value, limit: 50, cursor: next ? cursor : null };
      for (const f of FILTERS) params[f] = inputs[f].value.trim();
      const page = await api('/v1/admin/requests' + query(params));
      rows = next ? rows.concat(page.data) : page.data;
      cursor = page.next_cursor;
      more.hidden = !page.has_more;
      mount(list, table([
        { label: 'time', get: r => fmt.time(r.started_at) },
        { label: 'key', get: r => r.key },
        { label: 'model', get: r => r.model },
        { label: 'served by', get: r => r.final_deployment },
        { label: 'status', get: r => badge(String(r.status), r.status < 400 ? 'ok' : r.status < 500 ? 'warn' : 'bad') },
        { label: 'latency', get: r => fmt.ms(r.latency_ms), class: 'num' },
        { label: 'TTFT', get: r => fmt.ms(r.ttft_ms), class: 'num' },
        { label: 'tokens', get: r => fmt.int(r.tokens.total), class: 'num' },
        { label: 'cost', get: r => fmt.usd(r.cost_usd), class: 'num' },
      ], rows, r => open(r.id)));
    } catch (err) {
      mount(list, problem(err));
    }
  }

  async function open(id) {
    detail.hidden = false;
    try {
      mount(detail, story(await api('/v1/admin/requests/' + encodeURIComponent(id))));
    } catch (err) {
      mount(detail, problem(err));
    }
  }

  function story(r) {
    const kv = (k, v) => [h('dt', { text: k }), h('dd', {}, v instanceof Node ? v : String(v ?? '–'))];
    return [
      h('div', { class: 'detail-head' }, h('h2', { text: r.id }), h('button', { class: 'ghost', text: 'Close', onclick: () => { detail.hidden = true; } })),
      h('dl', { class: 'kv' },
        kv('started', fmt.time(r.started_at)), kv('status', badge(String(r.status), r.status < 400 ? 'ok' : 'bad')),
        kv('error', r.error_kind), kv('key / team / customer', `${r.key ?? '–'} / ${r.team ?? '–'} / ${r.customer ?? '–'}`),
        kv('format', r.format), kv('model (asked)', r.model), kv('route', r.route),
        kv('intended deployment', r.intended_deployment), kv('final deployment', `${r.final_deployment ?? '–'} (${r.final_model ?? '–'})`),
        kv('fallback reason', r.fallback_reason), kv('hedged', r.hedged ? 'yes' : 'no'), kv('stream', r.stream ? 'yes' : 'no'),
        kv('latency / TTFT', `${fmt.ms(r.latency_ms)} / ${fmt.ms(r.ttft_ms)}`),
        kv('cost', `${fmt.usd(r.cost_usd)} (${r.price_version ?? 'unpriced'})`), kv('usage source', r.usage_source),
        kv('client request id', r.client_request_id), kv('dropped params', r.dropped_params), kv('adaptations', r.adaptations)),
      h('h3', { text: `Attempts (${r.attempts})` }),
      table([
        { label: '#', get: (a, i) => String(r.attempt_log.indexOf(a) + 1) },
        { label: 'deployment', get: a => a.deployment },
        { label: 'outcome', get: a => badge(a.outcome, a.outcome === 'ok' ? 'ok' : 'bad') },
        { label: 'duration', get: a => fmt.ms(a.duration_ms), class: 'num' },
      ], r.attempt_log),
      h('h3', { text: 'Tokens' }),
      table([
        { label: 'prompt', get: t => fmt.int(t.prompt), class: 'num' }, { label: 'cached', get: t => fmt.int(t.cached), class: 'num' },
        { label: 'cache write', get: t => fmt.int(t.cache_write), class: 'num' }, { label: 'completion', get: t => fmt.int(t.completion), class: 'num' },
        { label: 'reasoning', get: t => fmt.int(t.reasoning), class: 'num' }, { label: 'total', get: t => fmt.int(t.total), class: 'num' },
      ], [r.tokens]),
    ];
  }

  const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('id');
  load(false).then(() => { if (wanted) open(wanted); });
}
