// The console's entry point: sign-in, the header (status, language, notifications, filter box),
// the hash router (#/ inbox, #/c/ID a conversation, #/suggestions), the keyboard shortcuts and the
// live event stream that keeps whatever is on screen current.
import { api, setCsrf, ApiError } from './api.js';
import { el, clear, announce, showError, clearError } from './dom.js';
import { t, fromNow, setLang, langFor, rememberLang, browserLang, LANGUAGES, lang } from './i18n.js';
import { Workspace } from './workspace.js';
import { SuggestionsView } from './suggestions.js';
import { MentionsView } from './mentions.js';
import { ReadMarks } from './unread.js';
import { installShortcuts, showShortcuts } from './keyboard.js';
import * as notify from './notify.js';

const STATUSES = ['available', 'away', 'offline'];

const state = {
  me: null, status: null, view: null, stream: null, retryTimer: null, refreshTimer: null, pendingRefresh: null, marks: null,
  searchTimer: null,
  // What the inbox told us of each conversation: whose it is and the customer's name (notifications).
  known: new Map(),
};
const main = document.getElementById('main');

setLang(browserLang);
const skipLink = document.getElementById('skip-link');
skipLink.textContent = t('skip');
// The hash is the router's: skipping moves the focus without navigating.
skipLink.addEventListener('click', (event) => { event.preventDefault(); main.focus(); });

async function boot() {
  try {
    const session = await api.session();
    signedIn(session, false);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showSignIn();
    else showError(t('error', { m: error.message }));
  }
}

// What single sign-on's callback reported when it could not sign the agent in (`#/sso-error/<reason>`).
function ssoFailure() {
  const match = location.hash.match(/^#\/sso-error\/(.+)$/);
  if (!match) return null;
  history.replaceState(null, '', location.pathname);
  return decodeURIComponent(match[1]);
}

async function showSignIn() {
  state.me = null;
  closeStream();
  state.view?.dispose?.();
  state.view = null;
  setLang(browserLang);
  document.getElementById('skip-link').textContent = t('skip');
  document.getElementById('top').hidden = true;
  document.getElementById('search').value = '';
  const status = el('p', { class: 'form-error', id: 'signin-error', role: 'alert' });
  const agent = el('input', { id: 'agent-id', name: 'agent', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  // Shown once the server asks for it (a right password of an agent with a second factor).
  const code = el('input', { id: 'totp-code', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', spellcheck: 'false' });
  const codeGroup = el('div', { class: 'code-group', id: 'code-group', hidden: true }, el('label', { for: 'totp-code' }, t('code')), code);
  const token = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const submit = async (event, fields) => {
    event.preventDefault();
    status.textContent = '';
    try {
      signedIn(await api.signIn(fields()), true);
    } catch (error) {
      if (error.code === 'second_factor_required' || error.code === 'bad_code') {
        codeGroup.hidden = false;
        code.required = true;
        code.value = '';
        code.focus();
      }
      status.textContent = error.message;
    }
  };
  const passwordFields = () => {
    const fields = { agent: agent.value, password: password.value };
    if (!codeGroup.hidden) fields.code = code.value;
    return fields;
  };
  const sso = el('p', { class: 'sso', id: 'sso' });
  clear(main).append(el('section', { class: 'signin', 'aria-labelledby': 'signin-title' },
    el('h1', { id: 'signin-title' }, t('signInTitle')),
    sso,
    el('form', { id: 'signin-form', onsubmit: (e) => submit(e, passwordFields) },
      el('label', { for: 'agent-id' }, t('agentId')), agent,
      el('label', { for: 'password' }, t('password')), password,
      codeGroup,
      el('button', { type: 'submit', id: 'signin-submit' }, t('signIn'))),
    el('details', { class: 'token-signin' },
      el('summary', {}, t('orToken')),
      el('form', { id: 'token-form', onsubmit: (e) => submit(e, () => ({ token: token.value })) },
        el('label', { for: 'token' }, t('token')), token,
        el('button', { type: 'submit', id: 'token-submit' }, t('signInToken')))),
    status));
  agent.focus();
  const failure = ssoFailure();
  if (failure) status.textContent = t('ssoFailed', { m: failure });
  try {
    const options = await api.signInOptions();
    if (options?.oidc) {
      sso.append(el('a', { class: 'button', id: 'sso-signin', href: options.oidc.start }, options.oidc.label || t('sso')));
    }
  } catch {
    // Without the options the password and token forms still work.
  }
}

function signedIn(session, byForm) {
  state.me = session.agent;
  state.marks = new ReadMarks(session.agent.id);
  state.known = new Map();
  setCsrf(session.csrf_token);
  setLang(langFor(session.agent.id));
  clearError();
  document.getElementById('top').hidden = false;
  renderHeader();
  loadStatus();
  // Asked once per agent, while the sign-in click still counts as the agent's gesture.
  if (byForm) notify.askOnce(session.agent.id).then(renderNotifyButton);
  openStream();
  route();
}

// --- the header --------------------------------------------------------------------------------

function renderHeader() {
  const me = state.me;
  document.getElementById('skip-link').textContent = t('skip');
  document.getElementById('who').textContent = `${me.name} (${me.id})`;
  const signOut = document.getElementById('sign-out');
  signOut.textContent = t('signOut');
  signOut.onclick = async () => {
    state.view?.dispose?.();  // says `left` while the session still holds
    try { await api.signOut(); } catch { /* signed out either way */ }
    setCsrf(null);
    location.hash = '#/';
    showSignIn();
  };
  const nav = clear(document.getElementById('nav'));
  nav.append(el('a', { href: '#/', id: 'nav-inbox' }, t('inbox')), ' ', el('a', { href: '#/mentions', id: 'nav-mentions' }, t('mentions')));
  if (me.role === 'supervisor') nav.append(' ', el('a', { href: '#/suggestions', id: 'nav-suggestions' }, t('suggestions')));

  const search = document.getElementById('search');
  document.getElementById('search-label').textContent = t('searchLabel');
  search.placeholder = t('searchPlaceholder');
  // A search as the agent types (after a pause); Enter searches at once and opens the first result.
  search.oninput = () => {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(() => state.view?.search?.(search.value), 250);
  };
  search.onkeydown = (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    clearTimeout(state.searchTimer);
    state.view?.searchAndOpen?.(search.value);
  };

  const statusGroup = clear(document.getElementById('my-status'));
  statusGroup.setAttribute('aria-label', t('myStatus'));
  statusGroup.append(...STATUSES.map((s) => el('button', {
    type: 'button', class: 'chip status-chip', id: `status-${s}`, dataset: { status: s },
    'aria-pressed': String(state.status === s), onclick: () => changeStatus(s),
  }, t(`status_${s}`))));

  const langGroup = clear(document.getElementById('lang-switch'));
  langGroup.setAttribute('aria-label', t('language'));
  langGroup.append(...LANGUAGES.map(({ code, name }) => el('button', {
    type: 'button', class: 'chip', id: `lang-${code}`, lang: code, 'aria-pressed': String(lang === code),
    onclick: () => switchLanguage(code),
  }, name)));

  const help = document.getElementById('help-button');
  help.textContent = t('shortcutsButton');
  help.onclick = () => showShortcuts();
  renderNotifyButton();
  const conn = document.getElementById('conn-status');
  if (conn.dataset.state) conn.textContent = t(conn.dataset.state);
}

function renderNotifyButton() {
  const button = document.getElementById('notify-toggle');
  button.textContent = t('notifyOn');
  button.hidden = notify.permission() !== 'default';
  button.onclick = async () => { await notify.ask(); renderNotifyButton(); };
}

async function loadStatus() {
  try { showStatus((await api.me()).status); } catch { /* the buttons stay unpressed */ }
}

function showStatus(status) {
  state.status = status;
  for (const button of document.querySelectorAll('#my-status button')) {
    button.setAttribute('aria-pressed', String(button.dataset.status === status));
  }
}

async function changeStatus(status) {
  clearError();
  try {
    const me = await api.setStatus(status);
    showStatus(me.status);
    announce(t('statusChanged', { s: t(`status_${me.status}`) }));
  } catch (error) {
    showError(t('error', { m: error.message }));
  }
}

function switchLanguage(code) {
  if (code === lang) return;
  setLang(code);
  rememberLang(state.me.id, code);
  renderHeader();
  // Everything on screen is drawn again in the new language (the open conversation included).
  state.view?.dispose?.();
  state.view = null;
  route();
  announce(LANGUAGES.find((l) => l.code === code)?.name ?? code);
}

// --- routes --------------------------------------------------------------------------------------

function route() {
  if (!state.me) return;
  clearError();
  if (location.hash === '#/suggestions' && state.me.role === 'supervisor') {
    state.view?.dispose?.();
    state.view = new SuggestionsView(main, state.me);
    state.view.load();
    return;
  }
  // #/c/ID opens a conversation; #/c/ID/m/MESSAGE opens it at a message (a search result).
  if (location.hash === '#/mentions') {
    state.view?.dispose?.();
    state.view = new MentionsView(main, state.me);
    state.view.load();
    return;
  }
  const match = location.hash.match(/^#\/c\/(\d+)(?:\/m\/(\d+))?$/);
  if (!(state.view instanceof Workspace)) {
    state.view?.dispose?.();
    state.view = new Workspace(main, state.me, { marks: state.marks, onEntries: remember });
    state.view.load();
    const query = document.getElementById('search').value;
    if (query.trim()) state.view.search(query);
  }
  state.view.select(match ? Number(match[1]) : null, match?.[2] ? Number(match[2]) : null);
}

window.addEventListener('hashchange', route);

function remember(entries) {
  for (const { conversation: c } of entries) {
    state.known.set(c.id, { owner: c.owner, assignee: c.assignee, name: c.customer?.name });
  }
}

installShortcuts({
  j: () => state.view?.step?.(1),
  k: () => state.view?.step?.(-1),
  r: () => state.view?.focusField?.('reply'),
  n: () => state.view?.focusField?.('note'),
  e: () => state.view?.focusField?.('escalate'),
  '/': () => { const search = document.getElementById('search'); if (state.me) { search.focus(); search.select(); } },
  '?': () => { if (state.me) showShortcuts(); },
  afterEscape: (box) => { if (box.id !== 'search') state.view?.focusSelection?.(); },
});

// --- live events ---------------------------------------------------------------------------

const EVENTS = ['message.created', 'message.updated', 'delivery.updated', 'attachment.updated', 'conversation.assigned', 'conversation.escalated',
  'conversation.escalation_closed', 'conversation.resolved', 'conversation.status', 'conversation.refresh',
  'sla.warning', 'sla.breached', 'conversation.priority'];

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
    if (opened) { scheduleRefresh(null); loadStatus(); }
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
      const data = parse(event.data);
      if (data) onEvent(type, data);
    });
  }
  // A colleague mentioned me in a note: a desktop notification (the thread refreshes as usual).
  stream.addEventListener('mention.created', (event) => {
    const data = parse(event.data);
    if (!data || data.agent !== state.me?.id) return;
    announce(t('notifyMention', { a: data.author }));
    if (!notify.looking(data.conversation_id)) {
      notify.show(t('notifyMention', { a: data.author }), data.note, { tag: `sb-mention-${data.id}`, conversation: data.conversation_id });
    }
    if (state.view instanceof MentionsView) state.view.load();
  });
  // Presence changes only the "who else is here" line: no refetch.
  stream.addEventListener('presence.updated', (event) => {
    const data = parse(event.data);
    if (data) state.view?.onPresence?.(data);
  });
}

function parse(text) {
  try { return JSON.parse(text); } catch { return null; }
}

function closeStream() {
  clearTimeout(state.retryTimer);
  state.stream?.close();
  state.stream = null;
}

function onEvent(type, data) {
  const conversation = data.conversation_id ?? data.conversation ?? null;
  if (type === 'message.created' && data.direction === 'inbound') {
    announce(t('newMessage', { n: state.known.get(conversation)?.name || data.author || data.channel || data.adapter || '' }));
  }
  if (type === 'conversation.assigned' && state.known.has(conversation)) {
    Object.assign(state.known.get(conversation), { owner: data.owner, assignee: data.assignee });
  }
  scheduleRefresh(conversation, type, data);
}

// Events come in bursts (a reply: created, sent, delivered); one refresh covers a burst.
function scheduleRefresh(conversation, type, data) {
  const pending = state.pendingRefresh ?? (state.pendingRefresh = { all: false, ids: new Set(), events: [] });
  if (conversation == null) pending.all = true; else pending.ids.add(Number(conversation));
  if (type) pending.events.push({ type, data });
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(async () => {
    state.pendingRefresh = null;
    try { await state.view?.refresh?.(pending); } catch { /* shown by the view */ }
    notifyAbout(pending.events);
  }, 120);
}

// --- desktop notifications -----------------------------------------------------------------------

/**
 * One notification per conversation and burst, the most telling kind first: a customer's new
 * message (of one's own customer), then a new assignment, then an SLA warning. Run after the
 * refresh, so a conversation that just arrived is known by name.
 */
function notifyAbout(events) {
  const me = state.me?.id;
  if (!me) return;
  const rank = { message: 3, assigned: 2, warning: 1 };
  const chosen = new Map();
  const consider = (conversation, kind, title, body) => {
    if (conversation == null || notify.looking(conversation)) return;
    const current = chosen.get(conversation);
    if (!current || rank[kind] > rank[current.kind]) chosen.set(conversation, { kind, title, body });
  };
  for (const { type, data } of events) {
    if (type === 'message.created' && data.direction === 'inbound') {
      const known = state.known.get(data.conversation_id);
      // An agent's stream carries only their own conversations; a supervisor's carries everyone's.
      const mine = state.me.role !== 'supervisor' || known?.owner === me || known?.assignee === me;
      if (mine) consider(data.conversation_id, 'message', t('notifyNewMessage', { n: known?.name || data.author || data.adapter || '' }), data.body);
    } else if (type === 'conversation.assigned' && data.assignee === me) {
      consider(data.conversation, 'assigned', t('notifyAssigned'), data.reason);
    } else if (type === 'sla.warning' && (data.assignee ?? data.owner) === me) {
      const name = state.known.get(data.conversation)?.name || t('unnamed');
      consider(data.conversation, 'warning', t('notifySlaWarning'), t('notifySlaWarningBody', { n: name, t: data.due ? fromNow(data.due) : '' }));
    }
  }
  for (const [conversation, n] of chosen) {
    notify.show(n.title, n.body, { tag: `sb-conversation-${conversation}`, conversation });
  }
}

boot();
