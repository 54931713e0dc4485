// The console's entry point: sign-in, the hash router (#/ inbox, #/c/ID conversation) and the
// live event stream that keeps whatever is on screen current.
import { api, setCsrf, ApiError } from './api.js';
import { el, clear, announce, showError, clearError } from './dom.js';
import { t, lang } from './i18n.js';
import { InboxView } from './inbox.js';
import { ConversationView } from './conversation.js';
import { SuggestionsView } from './suggestions.js';

const state = { me: null, view: null, stream: null, retryTimer: null, refreshTimer: null };
const main = document.getElementById('main');

document.documentElement.lang = lang;
document.getElementById('skip-link').textContent = t('skip');

async function boot() {
  try {
    const session = await api.session();
    signedIn(session);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showSignIn();
    else showError(t('error', { m: error.message }));
  }
}

function showSignIn() {
  state.me = null;
  closeStream();
  document.getElementById('top').hidden = true;
  const status = el('p', { class: 'form-error', id: 'signin-error', role: 'alert' });
  const agent = el('input', { id: 'agent-id', name: 'agent', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const token = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const submit = async (event, fields) => {
    event.preventDefault();
    status.textContent = '';
    try {
      signedIn(await api.signIn(fields()));
    } catch (error) {
      status.textContent = error.message;
    }
  };
  clear(main).append(el('section', { class: 'signin', 'aria-labelledby': 'signin-title' },
    el('h1', { id: 'signin-title' }, t('signInTitle')),
    el('form', { id: 'signin-form', onsubmit: (e) => submit(e, () => ({ agent: agent.value, password: password.value })) },
      el('label', { for: 'agent-id' }, t('agentId')), agent,
      el('label', { for: 'password' }, t('password')), password,
      el('button', { type: 'submit', id: 'signin-submit' }, t('signIn'))),
    el('details', { class: 'token-signin' },
      el('summary', {}, t('orToken')),
      el('form', { id: 'token-form', onsubmit: (e) => submit(e, () => ({ token: token.value })) },
        el('label', { for: 'token' }, t('token')), token,
        el('button', { type: 'submit', id: 'token-submit' }, t('signInToken')))),
    status));
  agent.focus();
}

function signedIn(session) {
  state.me = session.agent;
  setCsrf(session.csrf_token);
  clearError();
  const top = document.getElementById('top');
  top.hidden = false;
  document.getElementById('who').textContent = `${session.agent.name} (${session.agent.id})`;
  const signOut = document.getElementById('sign-out');
  signOut.textContent = t('signOut');
  signOut.onclick = async () => {
    try { await api.signOut(); } catch { /* signed out either way */ }
    setCsrf(null);
    location.hash = '#/';
    showSignIn();
  };
  const nav = clear(document.getElementById('nav'));
  nav.append(el('a', { href: '#/', id: 'nav-inbox' }, t('inbox')));
  if (session.agent.role === 'supervisor') nav.append(' ', el('a', { href: '#/suggestions', id: 'nav-suggestions' }, t('suggestions')));
  openStream();
  route();
}

function route() {
  if (!state.me) return;
  const match = location.hash.match(/^#\/c\/(\d+)$/);
  state.view?.dispose?.();
  clearError();
  state.view = match
    ? new ConversationView(main, Number(match[1]), state.me)
    : location.hash === '#/suggestions' && state.me.role === 'supervisor'
      ? new SuggestionsView(main, state.me)
      : new InboxView(main, state.me);
  state.view.load();
}

window.addEventListener('hashchange', route);

// --- live events ---------------------------------------------------------------------------

const EVENTS = ['message.created', 'delivery.updated', 'conversation.assigned', 'conversation.escalated',
  'conversation.resolved', 'conversation.merged', 'sla.warning', 'sla.breached', 'message.edited'];

function setConnection(mode) {
  const node = document.getElementById('conn-status');
  node.dataset.state = mode;
  node.textContent = t(mode);
}

function openStream() {
  closeStream();
  const stream = new EventSource('/api/v1/events');
  state.stream = stream;
  setConnection('reconnecting');
  let opened = false;
  stream.onopen = () => {
    setConnection('live');
    // After a drop, whatever happened while disconnected is fetched again.
    if (opened) scheduleRefresh(null);
    opened = true;
  };
  stream.onerror = () => {
    if (stream.readyState === EventSource.CLOSED) {
      // The server refused the stream (e.g. the session expired): check, then start over.
      setConnection('offline');
      closeStream();
      state.retryTimer = setTimeout(async () => {
        try { await api.session(); openStream(); } catch (error) {
          if (error instanceof ApiError && error.status === 401) showSignIn(); else openStream();
        }
      }, 3000);
    } else {
      setConnection('reconnecting');
    }
  };
  for (const type of EVENTS) {
    stream.addEventListener(type, (event) => {
      let data = null;
      try { data = JSON.parse(event.data); } catch { return; }
      onEvent(type, data);
    });
  }
}

function closeStream() {
  clearTimeout(state.retryTimer);
  state.stream?.close();
  state.stream = null;
}

function onEvent(type, data) {
  const conversation = data.conversation_id ?? data.conversation ?? null;
  if (type === 'message.created' && data.direction === 'inbound') {
    announce(t('newMessage', { n: data.author ?? data.channel ?? data.adapter ?? '' }));
  }
  scheduleRefresh(conversation, type, data);
}

// Events come in bursts (a reply: created, sent, delivered); one refresh covers a burst.
function scheduleRefresh(conversation, type, data) {
  const pending = state.pendingRefresh ?? (state.pendingRefresh = { all: false, ids: new Set(), events: [] });
  if (conversation == null) pending.all = true; else pending.ids.add(Number(conversation));
  if (type) pending.events.push({ type, data });
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => {
    state.pendingRefresh = null;
    state.view?.refresh?.(pending);
  }, 120);
}

boot();
