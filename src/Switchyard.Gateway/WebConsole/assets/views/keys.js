// Keys, teams and customers over the admin API: create (a key's secret is shown once), edit limits and budgets,
// revoke or delete. Budget bars come from the budget ledger (GET /v1/admin/budgets): spent, reserved, remaining and
// the period's reset, per key, team and customer.
import { h, mount, fmt, field, badge, table, problem } from '../dom.js';
import { api, query } from '../api.js';

const KINDS = {
  keys: { path: '/v1/admin/keys', label: 'Keys' },
  teams: { path: '/v1/admin/teams', label: 'Teams' },
  customers: { path: '/v1/admin/customers', label: 'Customers' },
};

export function render(page) {
  let kind = 'keys';
  const tabs = h('div', { class: 'segmented' }, Object.entries(KINDS).map(([name, k]) =>
    h('button', { class: name === kind ? 'on' : null, text: k.label, dataset: { tab: name }, onclick: e => {
      kind = name; for (const b of tabs.children) b.classList.toggle('on', b === e.target); show();
    } })));
  const body = h('div');
  mount(page, h('div', { class: 'toolbar' }, h('h1', { text: 'Keys, teams and customers' }), tabs), body);

  async function show(notice) {
    const k = KINDS[kind];
    try {
      const list = (await api(k.path + query({ limit: 100 }))).data;
      const states = await budgetStates();
      const editor = h('div', { id: 'editor' });
      mount(body, notice || null, createForm(kind, editor, show), editor,
        h('div', { class: 'card' }, table(columns(kind, states, editor), list)));
    } catch (err) {
      mount(body, problem(err));
    }
  }

  function columns(kind, states, editor) {
    const cols = [
      { label: 'id', get: r => r.id },
      { label: 'name', get: r => r.name },
    ];
    if (kind !== 'teams') cols.push({ label: 'team', get: r => r.team });
    if (kind === 'keys') {
      cols.push({ label: 'customer', get: r => r.customer }, { label: 'role', get: r => r.role },
        { label: 'status', get: r => badge(r.status, r.status === 'active' ? 'ok' : 'bad') });
    }
    cols.push({ label: 'limits', get: r => limits(r.limits) }, { label: 'budget', get: r => budgetBar(kind, r, states) },
      { label: '', get: r => actions(kind, r, editor) });
    return cols;
  }

  function actions(kind, r, editor) {
    if (r.source === 'config') return badge('from config', 'idle');
    if (kind === 'keys' && r.status === 'revoked') return '';
    const edit = h('button', { class: 'ghost small', text: 'Edit', dataset: { edit: r.id }, onclick: e => { e.stopPropagation(); mount(editor, editForm(kind, r, editor)); } });
    const remove = h('button', { class: 'danger small', text: kind === 'keys' ? 'Revoke' : 'Delete', dataset: { revoke: r.id }, onclick: async e => {
      e.stopPropagation();
      if (!confirm(`${kind === 'keys' ? 'Revoke' : 'Delete'} ${r.id}?`)) return;
      try {
        await api(`${KINDS[kind].path}/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
        show(h('div', { class: 'notice', text: `${r.id} ${kind === 'keys' ? 'revoked' : 'deleted'}.` }));
      } catch (err) { mount(editor, problem(err)); }
    } });
    return h('span', { class: 'actions' }, edit, remove);
  }

  function editForm(kind, r, editor) {
    const f = policyFields(r.limits, r.budget);
    const error = h('div');
    return h('form', { class: 'card', id: 'edit-form', onsubmit: async e => {
      e.preventDefault();
      try {
        await api(`${KINDS[kind].path}/${encodeURIComponent(r.id)}`, { method: 'PATCH', body: f.read() });
        show(h('div', { class: 'notice', text: `${r.id} updated.` }));
      } catch (err) { mount(error, problem(err)); }
    } }, h('h2', { text: 'Edit ' + r.id }), h('div', { class: 'row' }, f.inputs), error,
    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Save' }), h('button', { type: 'button', class: 'ghost', text: 'Cancel', onclick: () => mount(editor) })));
  }

  show();
}

function createForm(kind, editor, show) {
  const id = h('input', { name: 'id', placeholder: kind === 'keys' ? 'name' : 'id', required: true });
  const name = h('input', { name: 'name', placeholder: 'display name' });
  const team = h('input', { name: 'team', placeholder: 'team id' });
  const customer = h('input', { name: 'customer', placeholder: 'customer id' });
  const role = h('select', { name: 'role' }, ['client', 'operator'].map(v => h('option', { value: v, text: v })));
  const models = h('input', { name: 'allowed_models', placeholder: 'all (comma-separated)' });
  const f = policyFields(null, null);
  const error = h('div');
  const fields = kind === 'keys'
    ? [field('Name', id), field('Team', team), field('Customer', customer), field('Role', role), field('Allowed models', models)]
    : kind === 'teams' ? [field('Id', id), field('Name', name), field('Allowed models', models)]
      : [field('Id', id), field('Team', team), field('Name', name)];
  return h('details', { class: 'card create', open: kind === 'keys' ? true : null },
    h('summary', { text: 'Create ' + kind.slice(0, -1) }),
    h('form', { id: 'create-form', onsubmit: async e => {
      e.preventDefault();
      const body = { ...f.read() };
      if (kind === 'keys') Object.assign(body, { name: id.value.trim(), role: role.value }, team.value ? { team: team.value.trim() } : {}, customer.value ? { customer: customer.value.trim() } : {});
      else Object.assign(body, { id: id.value.trim() }, name.value ? { name: name.value.trim() } : {}, kind === 'customers' && team.value ? { team: team.value.trim() } : {});
      if (kind !== 'customers' && models.value.trim()) body.allowed_models = models.value.split(',').map(s => s.trim()).filter(Boolean);
      for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
      try {
        const created = await api(KINDS[kind].path, { method: 'POST', body });
        show(kind === 'keys' ? secretNotice(created) : h('div', { class: 'notice', text: `${created.id} created.` }));
      } catch (err) { mount(error, problem(err)); }
    } }, h('div', { class: 'row' }, fields, f.inputs), error, h('button', { type: 'submit', text: 'Create' })));
}

function secretNotice(created) {
  const secret = h('code', { id: 'new-secret', text: created.key });
  return h('div', { class: 'notice secret' },
    h('strong', { text: `Key ${created.id} created. Copy its secret now: it is shown this once and stored only as a hash.` }),
    h('div', { class: 'row' }, secret, h('button', { class: 'ghost small', text: 'Copy', onclick: () => navigator.clipboard?.writeText(created.key) })));
}

/** Inputs for limits and a budget, prefilled; read() gives the admin API's limits/budget objects (null clears). */
function policyFields(limits, budget) {
  const num = (name, value, placeholder) => h('input', { name, type: 'number', min: 0, step: 'any', value: value ?? '', placeholder: placeholder || 'none' });
  const rpm = num('rpm', limits?.rpm), tpm = num('tpm', limits?.tpm), conc = num('concurrency', limits?.concurrency);
  const usd = num('limit_usd', budget?.limit_usd, 'no budget');
  const period = h('select', { name: 'period' }, ['monthly', 'weekly', 'daily', 'lifetime'].map(v => h('option', { value: v, text: v })));
  if (budget?.period) period.value = budget.period;
  return {
    inputs: [field('RPM', rpm), field('TPM', tpm), field('Concurrency', conc), field('Budget (USD)', usd), field('Period', period)],
    read() {
      const l = {};
      if (rpm.value) l.rpm = Number(rpm.value);
      if (tpm.value) l.tpm = Number(tpm.value);
      if (conc.value) l.concurrency = Number(conc.value);
      return { limits: Object.keys(l).length ? l : null, budget: usd.value ? { limit_usd: Number(usd.value), period: period.value } : null };
    },
  };
}

function limits(l) {
  if (!l) return '–';
  return Object.entries(l).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${fmt.int(v)}`).join(' · ') || '–';
}

/** The budget ledger's state of every budget (GET /v1/admin/budgets, paged), by scope name (key:ID, team:ID, customer:TEAM/ID). */
async function budgetStates() {
  const states = {};
  let after = null;
  for (let page = 0; page < 20; page++) {
    const list = await api('/v1/admin/budgets' + query({ limit: 100, after }));
    for (const b of list.data) states[b.scope] = b;
    if (!list.has_more) break;
    after = list.last_id;
  }
  return states;
}

/** The scope name the budget ledger gives a row of this kind. */
function scopeOf(kind, r) {
  return kind === 'keys' ? 'key:' + r.id : kind === 'teams' ? 'team:' + r.id : `customer:${r.team}/${r.id}`;
}

/** Spent (solid) and reserved (light) against the limit, with what remains and when the period resets. */
function budgetBar(kind, r, states) {
  const b = r.budget;
  if (!b) return '–';
  const state = states[scopeOf(kind, r)];
  if (!state) return h('small', { text: `${fmt.usd(b.limit_usd)} ${b.period}` });
  const share = v => (state.limit_usd > 0 ? Math.min(1, v / state.limit_usd) : 1);
  const used = share(state.spent_usd + state.reserved_usd);
  const spent = h('span', { class: 'fill ' + (used >= 1 ? 'bad' : used >= 0.8 ? 'warn' : 'ok') });
  spent.style.width = (share(state.spent_usd) * 100).toFixed(1) + '%';
  const reserved = h('span', { class: 'fill reserved' });
  reserved.style.width = (Math.max(0, used - share(state.spent_usd)) * 100).toFixed(1) + '%';
  return h('div', { class: 'budget', dataset: { scope: state.scope } },
    h('span', { class: 'bar' }, spent, reserved),
    h('small', { text: `${fmt.usd(state.spent_usd)} spent · ${fmt.usd(state.reserved_usd)} reserved · ${fmt.usd(state.remaining_usd)} left of ${fmt.usd(state.limit_usd)} ${b.period}` }),
    h('small', { class: 'muted', text: state.resets_at ? 'resets ' + fmt.time(state.resets_at) : 'never resets' }));
}
