// The console's shell: sign-in, the hash router and the nav. Each view is a module exporting
// render(root) → optional cleanup (timers), loaded on first use.
import { h, mount, field, problem } from './dom.js';
import { api, session, whenUnauthorized } from './api.js';

const views = {
  overview: () => import('./views/overview.js'),
  requests: () => import('./views/requests.js'),
  keys: () => import('./views/keys.js'),
  providers: () => import('./views/providers.js'),
  config: () => import('./views/config.js'),
  playground: () => import('./views/playground.js'),
};

const root = document.getElementById('view');
const nav = document.getElementById('nav');
const logout = document.getElementById('logout');
let cleanup = null;

function signIn(message) {
  session.key = null;
  nav.hidden = true;
  logout.hidden = true;
  stop();
  const input = h('input', { type: 'password', id: 'admin-key', autocomplete: 'off', placeholder: 'sk-…', required: true });
  const error = h('div');
  const form = h('form', { class: 'card login', id: 'login', onsubmit: async e => {
    e.preventDefault();
    try {
      await api('/v1/admin/config', { key: input.value.trim() });
      session.key = input.value.trim();
      route();
    } catch (err) {
      mount(error, problem(err.status === 403 ? new Error('This key is not an admin key.') : err));
    }
  } },
  h('h1', { text: 'Sign in' }),
  h('p', { class: 'muted', text: 'Use the master key or an admin key. It is kept in this tab only and sent to this gateway alone.' }),
  field('Admin key', input), error, h('button', { type: 'submit', text: 'Sign in' }));
  mount(root, form);
  if (message) mount(error, problem(new Error(message)));
  input.focus();
}

function stop() {
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } }
  cleanup = null;
}

async function route() {
  if (!session.key) return signIn();
  nav.hidden = false;
  logout.hidden = false;
  const name = (location.hash.replace(/^#\/?/, '').split('?')[0]) || 'overview';
  const load = views[name] || views.overview;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === name);
  stop();
  const page = h('section', { class: 'page', id: 'page-' + name });
  mount(root, page);
  try {
    const module = await load();
    cleanup = await module.render(page) || null;
  } catch (err) {
    mount(page, problem(err));
  }
}

whenUnauthorized(message => signIn(message));
logout.addEventListener('click', () => { session.key = null; location.hash = '#/overview'; signIn(); });
window.addEventListener('hashchange', route);
route();
