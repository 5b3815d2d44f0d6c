// Tiny DOM helpers: every element is built with createElement and textContent, never from HTML strings, so text
// from the API (model names, prompts, answers, error messages) can never become markup.

/** h('div', {class: 'x', onclick: f}, child, 'text', [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name === 'value') el.value = value;
    else if (name === 'checked') el.checked = !!value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });
const int = new Intl.NumberFormat('en-US');

export const fmt = {
  usd: v => (v === null || v === undefined ? '–' : usd.format(v)),
  int: v => (v === null || v === undefined ? '–' : int.format(v)),
  ms: v => (v === null || v === undefined ? '–' : v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 1 : 2) + ' s' : Math.round(v) + ' ms'),
  time: iso => (iso ? new Date(iso).toLocaleString() : '–'),
  short: iso => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : ''),
  pct: v => (v === null || v === undefined || isNaN(v) ? '–' : (v * 100).toFixed(1) + '%'),
};

/** A labelled form field. */
export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { text: label }), input, hint ? h('small', { text: hint }) : null);
}

/** A status badge: ok / warn / bad / idle. */
export function badge(text, tone) {
  return h('span', { class: 'badge ' + (tone || 'idle'), text });
}

/** A card with a big number. */
export function stat(label, value, sub, id) {
  return h('div', { class: 'stat', dataset: id ? { stat: id } : undefined },
    h('div', { class: 'stat-label', text: label }), h('div', { class: 'stat-value', text: value }),
    sub ? h('div', { class: 'stat-sub', text: sub }) : null);
}

/** A table from rows; columns: [{label, get: row => text|Node, class}] */
export function table(columns, rows, onRow) {
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { class: c.class, text: c.label })))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { class: 'empty', colspan: columns.length, text: 'Nothing here yet.' }))
      : rows.map(r => h('tr', { class: onRow ? 'clickable' : null, onclick: onRow ? () => onRow(r) : null },
        columns.map(c => { const v = c.get(r); return h('td', { class: c.class }, v instanceof Node ? v : String(v ?? '–')); })))));
}

/** An error banner. */
export function problem(err) {
  return h('div', { class: 'problem', role: 'alert', text: err && err.message ? err.message : String(err) });
}
