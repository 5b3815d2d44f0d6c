// Config: the running configuration as the gateway shows it (version, load time, providers, deployments, models;
// secrets never leave the gateway), and a validator for an edited copy: POST /v1/admin/config/validate runs the
// gateway's own loader on the text and lists every error with its path, without applying anything.
import { h, mount, fmt, badge, table, problem } from '../dom.js';
import { api } from '../api.js';

export async function render(page) {
  const body = h('div');
  mount(page, h('div', { class: 'toolbar' }, h('h1', { text: 'Configuration' })), body);
  try {
    const c = await api('/v1/admin/config');
    const cfg = c.config;
    mount(body,
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('div', { class: 'stat-label', text: 'Version' }), h('div', { class: 'stat-value mono', id: 'config-version', text: c.version })),
        h('div', { class: 'stat' }, h('div', { class: 'stat-label', text: 'Loaded' }), h('div', { class: 'stat-value small', text: fmt.time(c.loaded_at) })),
        h('div', { class: 'stat' }, h('div', { class: 'stat-label', text: 'Source' }), h('div', { class: 'stat-value small', text: cfg.source }),
          h('div', { class: 'stat-sub', text: c.hot_reload ? 'hot-reloaded on change' : 'fixed at start' }))),
      h('div', { class: 'card' }, h('h2', { text: 'Providers' }), table([
        { label: 'name', get: p => p.name }, { label: 'kind', get: p => p.kind }, { label: 'base URL', get: p => p.base_url },
        { label: 'API keys', get: p => p.api_keys ? badge(`${p.api_keys} set`, 'ok') : badge('none', 'idle') },
        { label: 'headers', get: p => p.headers.join(', ') || '–' },
      ], Object.entries(cfg.providers).map(([name, p]) => ({ name, ...p })))),
      h('div', { class: 'card' }, h('h2', { text: 'Models' }), table([
        { label: 'alias', get: m => m.name }, { label: 'deployments', get: m => m.deployments.map(d => `${d} → ${cfg.deployments[d]?.model ?? '?'}`).join(', ') },
        { label: 'fallbacks', get: m => m.fallbacks.join(' → ') || '–' }, { label: 'routing', get: m => m.routing ?? 'weighted' },
        { label: 'hedge', get: m => (m.hedge ? 'yes' : '–') },
      ], Object.entries(cfg.models).map(([name, m]) => ({ name, ...m })))),
      validator());
  } catch (err) {
    mount(body, problem(err));
  }
}

function validator() {
  const text = h('textarea', { id: 'config-yaml', rows: 14, spellcheck: 'false', placeholder: 'Paste an edited switchyard.yaml here to check it before you apply it.' });
  const result = h('div', { id: 'config-result' });
  return h('div', { class: 'card' }, h('h2', { text: 'Validate an edited copy' }),
    h('p', { class: 'muted', text: 'Checked by the gateway\'s own loader with its environment; nothing is applied. To apply, write the file: the gateway reloads it.' }),
    text, h('div', { class: 'row' }, h('button', { id: 'validate', text: 'Validate', onclick: async () => {
      try {
        const r = await api('/v1/admin/config/validate', { method: 'POST', body: text.value, contentType: 'application/yaml' });
        mount(result, r.valid
          ? h('div', { class: 'notice', text: `Valid: ${r.models} models, version ${r.version}.` })
          : h('div', {}, h('div', { class: 'problem', text: `${r.errors.length} error(s):` }),
            table([{ label: 'path', get: e => e.path }, { label: 'problem', get: e => e.message }], r.errors)));
      } catch (err) { mount(result, problem(err)); }
    } })), result);
}
