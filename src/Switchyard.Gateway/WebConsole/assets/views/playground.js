// The Studio: one prompt (system + user, optional image) to up to four models side by side. Each column calls the
// gateway's public /v1/chat/completions with the key the user picked, streamed, so what it shows is exactly what the
// API does: TTFT and total latency as the browser saw them, tokens from the stream's usage chunk, the deployment
// and model from the x-switchyard-* headers, and the cost from the request's usage record (admin API).
import { h, mount, fmt, field, problem } from '../dom.js';
import { api, session } from '../api.js';
import { events } from '../sse.js';
import { code, LANGUAGES } from '../codegen.js';

const MAX_COLUMNS = 4;
const HISTORY = 'switchyard.playground.history';
const PLAY_KEY = 'switchyard.playKey';

export async function render(page) {
  const key = h('input', { type: 'password', id: 'play-key', autocomplete: 'off', placeholder: 'the admin key (default) or a client key', value: sessionStorage.getItem(PLAY_KEY) || '' });
  key.addEventListener('change', () => { sessionStorage.setItem(PLAY_KEY, key.value.trim()); loadModels(); });
  const system = h('textarea', { id: 'play-system', rows: 2, placeholder: 'System prompt (optional)' });
  const user = h('textarea', { id: 'play-user', rows: 4, placeholder: 'User message' });
  const image = h('input', { type: 'file', id: 'play-image', accept: 'image/*' });
  const preview = h('img', { class: 'preview', alt: '', hidden: true });
  let imageUrl = null;
  image.addEventListener('change', () => {
    const file = image.files[0];
    if (!file) { imageUrl = null; preview.hidden = true; return; }
    const reader = new FileReader();
    reader.onload = () => { imageUrl = reader.result; preview.src = imageUrl; preview.hidden = false; };
    reader.readAsDataURL(file);
  });
  const grid = h('div', { class: 'columns', id: 'play-columns' });
  const historyList = h('div', { class: 'history', id: 'play-history' });
  const status = h('div');
  let models = [];
  const columns = [];

  const addButton = h('button', { class: 'ghost', id: 'add-column', text: '+ Column', onclick: () => addColumn() });
  const runButton = h('button', { id: 'run', text: 'Run', onclick: () => run() });
  mount(page, h('div', { class: 'toolbar' }, h('h1', { text: 'Playground' }),
    h('span', { class: 'muted', text: 'one prompt, up to four models, streamed side by side' })),
  h('div', { class: 'card prompt' }, h('div', { class: 'row' }, field('Key', key, 'sent as Bearer to /v1/chat/completions; kept in this tab')),
    field('System', system), field('User', user), h('div', { class: 'row' }, field('Image (optional)', image), preview),
    h('div', { class: 'row' }, runButton, addButton), status),
  grid, h('div', { class: 'card' }, h('h2', { text: 'History' }), historyList));

  const playKey = () => key.value.trim() || session.key;

  async function loadModels() {
    try {
      models = (await api('/v1/models', { key: playKey() })).data.map(m => m.id).sort();
      for (const c of columns) c.setModels(models);
      mount(status);
    } catch (err) {
      mount(status, problem(err));
    }
  }

  function addColumn(preset) {
    if (columns.length >= MAX_COLUMNS) return;
    const c = column(models, preset, () => { columns.splice(columns.indexOf(c), 1); c.node.remove(); addButton.disabled = false; });
    columns.push(c);
    grid.append(c.node);
    addButton.disabled = columns.length >= MAX_COLUMNS;
  }

  async function run() {
    if (!user.value.trim()) { mount(status, problem(new Error('Write a user message first.'))); return; }
    mount(status);
    runButton.disabled = true;
    const messages = [];
    if (system.value.trim()) messages.push({ role: 'system', content: system.value });
    messages.push({ role: 'user', content: imageUrl ? [{ type: 'text', text: user.value }, { type: 'image_url', image_url: { url: imageUrl } }] : user.value });
    try {
      await Promise.all(columns.map(c => c.run(messages, playKey())));
    } finally {
      runButton.disabled = false;
    }
    remember(system.value, user.value, !!imageUrl, columns.map(c => c.snapshot()));
    showHistory();
  }

  function showHistory() {
    const items = JSON.parse(localStorage.getItem(HISTORY) || '[]');
    mount(historyList, items.length === 0 ? h('p', { class: 'muted', text: 'Comparisons you run are kept here (this browser only).' })
      : items.map(item => h('button', { class: 'history-item', onclick: () => restore(item) },
        h('strong', { text: item.user.slice(0, 80) }), h('small', { text: `${fmt.time(item.at)} · ${item.columns.map(c => c.model).join(' vs ')}` }))));
  }

  function restore(item) {
    system.value = item.system;
    user.value = item.user;
    for (const c of [...columns]) c.remove();
    for (const preset of item.columns) addColumn(preset);
  }

  await loadModels();
  addColumn({ model: models[0] });
  addColumn({ model: models[1] || models[0] });
  showHistory();
}

function remember(system, user, image, columns) {
  const items = JSON.parse(localStorage.getItem(HISTORY) || '[]');
  items.unshift({ at: new Date().toISOString(), system, user, image, columns });
  localStorage.setItem(HISTORY, JSON.stringify(items.slice(0, 20)));
}

/** One column: its model and parameters, the streamed answer, the metrics and "copy as code". */
function column(models, preset, onRemove) {
  const model = h('select', { class: 'model' });
  const temperature = h('input', { type: 'number', min: 0, max: 2, step: 0.1, placeholder: 'default', value: preset?.temperature ?? '' });
  const maxTokens = h('input', { type: 'number', min: 1, step: 1, placeholder: 'default', value: preset?.max_tokens ?? '' });
  const output = h('pre', { class: 'output', text: preset?.output || '' });
  const metrics = h('dl', { class: 'metrics' });
  const language = h('select', {}, LANGUAGES.map(l => h('option', { value: l, text: l })));
  const snippet = h('pre', { class: 'code', hidden: true });
  let last = preset?.metrics || null;
  let lastBody = null;
  const node = h('div', { class: 'card column' },
    h('div', { class: 'row' }, field('Model', model), h('button', { class: 'ghost small', text: '×', title: 'remove', onclick: () => onRemove() })),
    h('div', { class: 'row' }, field('temperature', temperature), field('max_tokens', maxTokens)),
    output, metrics,
    h('div', { class: 'row' }, language, h('button', { class: 'ghost small', text: 'Copy as code', onclick: () => {
      const text = code(language.value, location.origin, lastBody || body([{ role: 'user', content: '…' }]));
      snippet.textContent = text;
      snippet.hidden = false;
      navigator.clipboard?.writeText(text).catch(() => {});
    } })), snippet);

  function setModels(list) {
    const wanted = model.value || preset?.model;
    mount(model, list.map(m => h('option', { value: m, text: m })));
    if (wanted && list.includes(wanted)) model.value = wanted;
  }

  function body(messages) {
    const b = { model: model.value, messages, stream: true, stream_options: { include_usage: true } };
    if (temperature.value !== '') b.temperature = Number(temperature.value);
    if (maxTokens.value !== '') b.max_tokens = Number(maxTokens.value);
    return b;
  }

  function showMetrics(m) {
    const kv = (k, v) => [h('dt', { text: k }), h('dd', { text: v })];
    mount(metrics, kv('TTFT', fmt.ms(m.ttft)), kv('latency', fmt.ms(m.latency)),
      kv('tokens', m.usage ? `${fmt.int(m.usage.prompt_tokens)} in · ${fmt.int(m.usage.completion_tokens)} out` : '–'),
      kv('cost', m.cost === undefined ? '…' : fmt.usd(m.cost)), kv('served by', m.deployment ? `${m.deployment} (${m.model})` : '–'),
      kv('attempts', m.attempts ?? '–'), m.fallback ? kv('fallback', m.fallback) : null);
  }

  async function run(messages, key) {
    lastBody = body(messages);
    delete node.dataset.done;
    output.textContent = '';
    output.classList.remove('failed');
    const m = { model: null };
    const started = performance.now();
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST', headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' }, body: JSON.stringify(lastBody),
      });
      Object.assign(m, { deployment: response.headers.get('x-switchyard-deployment'), model: response.headers.get('x-switchyard-model'),
        attempts: response.headers.get('x-switchyard-attempts'), fallback: response.headers.get('x-switchyard-fallback-reason'),
        id: response.headers.get('x-switchyard-request-id') || response.headers.get('x-request-id') });
      if (!response.ok) {
        const err = await response.json().catch(() => null);
        throw new Error(err?.error?.message || `${response.status} ${response.statusText}`);
      }
      for await (const chunk of events(response)) {
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          if (m.ttft === undefined) m.ttft = performance.now() - started;
          output.textContent += delta;
        }
        if (chunk.usage) m.usage = chunk.usage;
        if (chunk.error) throw new Error(chunk.error.message || 'the stream ended with an error');
      }
    } catch (err) {
      output.textContent += (output.textContent ? '\n\n' : '') + '⚠ ' + err.message;
      output.classList.add('failed');
    }
    m.latency = performance.now() - started;
    showMetrics(m);
    m.cost = await cost(m.id);
    showMetrics(m);
    last = m;
    node.dataset.done = 'true';
  }

  if (last) showMetrics(last);
  setModels(models);
  return {
    node, run, setModels,
    remove() { onRemove(); },
    snapshot: () => ({ model: model.value, temperature: temperature.value, max_tokens: maxTokens.value, output: output.textContent, metrics: last }),
  };
}

/** The cost the gateway recorded for request `id` (its record is written within moments of the answer). */
async function cost(id) {
  if (!id) return null;
  for (let i = 0; i < 20; i++) {
    try {
      return (await api('/v1/admin/requests/' + encodeURIComponent(id))).cost_usd;
    } catch (err) {
      if (err.status !== 404) return null;
    }
    await new Promise(r => setTimeout(r, 250));
  }
  return null;
}
