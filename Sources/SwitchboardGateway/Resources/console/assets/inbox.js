// The inbox: my conversations, most urgent first, with filters.
import { api } from './api.js';
import { el, clear, showError } from './dom.js';
import { t, fromNow, duration } from './i18n.js';

const STATUSES = ['open', 'pending', 'resolved', 'all'];
const SCOPES = ['mine', 'everyone', 'escalations', 'breached'];

// Filters survive navigation to a conversation and back.
const filters = { status: 'open', scope: 'mine' };

export class InboxView {
  constructor(root, me) {
    this.root = root;
    this.me = me;
    this.list = el('ul', { class: 'inbox', id: 'inbox-list', 'aria-labelledby': 'inbox-title' });
  }

  async load() {
    clear(this.root).append(
      el('section', { class: 'inbox-view' },
        el('h1', { id: 'inbox-title' }, t('inbox')),
        this.filterBar(),
        this.list));
    document.title = `${t('inbox')} · Switchboard`;
    await this.refresh();
  }

  filterBar() {
    const group = (label, values, key) => el('div', { class: 'filter', role: 'group', 'aria-label': label },
      el('span', { class: 'filter-label', 'aria-hidden': 'true' }, label),
      values.map((value) => el('button', {
        type: 'button', class: 'chip', id: `filter-${value}`, 'aria-pressed': String(filters[key] === value),
        onclick: () => { filters[key] = value; this.load(); },
      }, t(value))));
    return el('div', { class: 'filters' },
      group(t('statusFilter'), STATUSES, 'status'),
      this.me.role === 'supervisor' ? group(t('scopeFilter'), SCOPES, 'scope') : null);
  }

  async refresh() {
    let data;
    try {
      data = await api.inbox(filters.status, this.me.role === 'supervisor' ? filters.scope : 'mine');
    } catch (error) {
      showError(t('error', { m: error.message }));
      return;
    }
    const focused = document.activeElement?.dataset?.id;
    clear(this.list);
    this.list.dataset.loaded = 'true';
    if (data.conversations.length === 0) {
      this.list.append(el('li', { class: 'empty' }, t('noConversations')));
      return;
    }
    for (const entry of sortByUrgency(data.conversations)) this.list.append(row(entry));
    // A live refresh must not throw the keyboard user back to the top.
    if (focused) this.list.querySelector(`a[data-id="${CSS.escape(focused)}"]`)?.focus();
  }
}

function urgency(c) {
  if (c.status !== 'open') return null;
  const dues = [c.first_response_due, c.callback_due].filter(Boolean).map((d) => new Date(d).getTime());
  return dues.length ? Math.min(...dues) : null;
}

export function sortByUrgency(entries) {
  return [...entries].sort((a, b) => {
    const ua = urgency(a.conversation), ub = urgency(b.conversation);
    if (ua != null && ub != null && ua !== ub) return ua - ub;
    if (ua != null && ub == null) return -1;
    if (ua == null && ub != null) return 1;
    return new Date(b.conversation.last_message_at) - new Date(a.conversation.last_message_at);
  });
}

function row({ conversation: c, last }) {
  const now = Date.now();
  const due = urgency(c);
  const isCallback = c.callback_due && new Date(c.callback_due).getTime() === due;
  const dueText = due == null ? null
    : due < now ? t('overdue', { t: fromNow(due, now) }) : t(isCallback ? 'callbackDue' : 'due', { t: fromNow(due, now) });
  return el('li', {},
    el('a', { href: `#/c/${c.id}`, class: 'inbox-row', dataset: { id: String(c.id) } },
      el('span', { class: 'row-main' },
        el('span', { class: 'customer-name' }, c.customer.name || t('unnamed')),
        last?.adapter ? el('span', { class: 'badge channel', title: last.channel ?? '' }, last.adapter) : null,
        c.escalated ? el('span', { class: 'badge escalated' }, t('escalated')) : null,
        c.status !== 'open' ? el('span', { class: 'badge status' }, t(c.status)) : null),
      el('span', { class: 'preview' }, last ? last.body : ''),
      el('span', { class: 'row-meta' },
        el('span', { class: 'reference' }, c.reference),
        last?.waiting_since ? el('span', { class: 'waiting' }, t('waiting', { t: duration(last.waiting_since, now) })) : null,
        dueText ? el('span', { class: due < now ? 'due overdue' : 'due' }, dueText) : null)));
}
