// The inbox pane: my conversations, most urgent first, with filters, unread markers, the selected
// conversation marked, and a client-side filter (the header's search box) over what is loaded.
import { api } from './api.js';
import { el, clear, showError } from './dom.js';
import { t, fromNow, duration } from './i18n.js';

const STATUSES = ['open', 'pending', 'resolved', 'all'];
const SCOPES = ['mine', 'everyone', 'escalations', 'breached'];

// Filters survive navigation and language switches.
const filters = { status: 'open', scope: 'mine' };

export class InboxPane {
  constructor(root, me, { marks, onEntries }) {
    this.root = root;
    this.me = me;
    this.marks = marks;
    this.onEntries = onEntries;
    this.entries = [];
    this.loaded = false;
    this.query = '';
    this.selected = null;
    // The order shown. A live refresh keeps it (new conversations go on top), so a conversation
    // that just got its answer does not jump away from under j and k; loading again re-sorts.
    this.order = [];
    this.selectedIndex = null;
    this.title = el('h2', { id: 'inbox-title' }, t('inbox'));
    this.count = el('span', { class: 'unread-count', id: 'unread-count', 'aria-live': 'polite' });
    this.list = el('ul', { class: 'inbox', id: 'inbox-list', 'aria-labelledby': 'inbox-title' });
    this.filterBox = el('div');
  }

  async load() {
    clear(this.root).append(
      el('div', { class: 'pane-head' }, this.title, this.count),
      this.filterBox,
      this.list);
    this.renderFilters();
    await this.refresh({ resort: true });
  }

  renderFilters() {
    const group = (label, values, key) => el('div', { class: 'filter', role: 'group', 'aria-label': label },
      el('span', { class: 'filter-label', 'aria-hidden': 'true' }, label),
      values.map((value) => el('button', {
        type: 'button', class: 'chip', id: `filter-${value}`, 'aria-pressed': String(filters[key] === value),
        onclick: () => { filters[key] = value; this.renderFilters(); this.refresh({ resort: true }); },
      }, t(value))));
    this.filterBox.replaceChildren(el('div', { class: 'filters' },
      group(t('statusFilter'), STATUSES, 'status'),
      this.me.role === 'supervisor' ? group(t('scopeFilter'), SCOPES, 'scope') : null));
  }

  async refresh({ resort = false } = {}) {
    let data;
    try {
      data = await api.inbox(filters.status, this.me.role === 'supervisor' ? filters.scope : 'mine');
    } catch (error) {
      showError(t('error', { m: error.message }));
      return;
    }
    const sorted = sortByUrgency(data.conversations);
    const byID = new Map(sorted.map((e) => [e.conversation.id, e]));
    if (!resort) {
      const known = new Set(this.order);
      const kept = this.order.filter((id) => byID.has(id));
      this.order = [...sorted.map((e) => e.conversation.id).filter((id) => !known.has(id)), ...kept];
    } else {
      this.order = sorted.map((e) => e.conversation.id);
    }
    this.entries = this.order.map((id) => byID.get(id));
    this.loaded = true;
    this.onEntries?.(this.entries);
    this.render();
  }

  /** Filters what is loaded by customer, reference or the latest message (the header's box). */
  filter(query) {
    this.query = query.trim().toLowerCase();
    if (this.loaded) this.render();
  }

  render() {
    const focused = document.activeElement?.closest?.('#inbox-list') ? document.activeElement.dataset.id : null;
    clear(this.list);
    this.list.dataset.loaded = 'true';
    const shown = this.entries.filter((e) => matches(e, this.query));
    const unread = this.entries.filter((e) => this.marks.isUnread(e)).length;
    this.count.textContent = unread ? t('unreadCount', { n: unread }) : '';
    if (shown.length === 0) {
      this.list.append(el('li', { class: 'empty' }, this.query ? t('searchNoMatch', { q: this.query }) : t('noConversations')));
      return;
    }
    for (const entry of shown) {
      this.list.append(row(entry, this.marks.isUnread(entry), entry.conversation.id === this.selected));
    }
    const index = shown.findIndex((e) => e.conversation.id === this.selected);
    if (index >= 0) this.selectedIndex = index;
    // A live refresh must not throw the keyboard user back to the top.
    if (focused) this.rowLink(focused)?.focus();
  }

  /** Marks the open conversation in the list. */
  select(id) {
    this.selected = id;
    const index = this.visibleIds().indexOf(id);
    if (index >= 0) this.selectedIndex = index;
    for (const link of this.list.querySelectorAll('a.inbox-row')) {
      const on = Number(link.dataset.id) === id;
      link.classList.toggle('selected', on);
      if (on) link.setAttribute('aria-current', 'true'); else link.removeAttribute('aria-current');
    }
  }

  /** A conversation was read: its unread marker goes. */
  seen(id) {
    const link = this.rowLink(id);
    if (!link) return;
    const entry = this.entries.find((e) => e.conversation.id === Number(id));
    if (entry && !this.marks.isUnread(entry)) {
      link.classList.remove('unread');
      delete link.dataset.unread;
      link.querySelector('.unread-dot')?.remove();
      const unread = this.entries.filter((e) => this.marks.isUnread(e)).length;
      this.count.textContent = unread ? t('unreadCount', { n: unread }) : '';
    }
  }

  /**
   * The conversation `delta` rows from the open one (j: +1, k: -1). When the open one has left
   * the list (resolved, filtered out), its neighbour takes its place.
   */
  step(delta) {
    const ids = this.visibleIds();
    if (!ids.length) return null;
    const at = ids.indexOf(this.selected);
    let next;
    if (at >= 0) next = at + delta;
    else if (this.selectedIndex != null) next = delta > 0 ? this.selectedIndex : this.selectedIndex - 1;
    else next = delta > 0 ? 0 : ids.length - 1;
    return ids[Math.min(ids.length - 1, Math.max(0, next))];
  }

  /** The conversation ids in the order shown (what j and k walk). */
  visibleIds() {
    return [...this.list.querySelectorAll('a.inbox-row')].map((a) => Number(a.dataset.id));
  }

  rowLink(id) {
    return this.list.querySelector(`a[data-id="${CSS.escape(String(id))}"]`);
  }
}

function matches(entry, query) {
  if (!query) return true;
  const c = entry.conversation;
  return [c.customer?.name, c.reference, entry.last?.body, entry.last?.adapter, String(c.id)]
    .some((text) => text && String(text).toLowerCase().includes(query));
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

function row({ conversation: c, last }, unread, selected) {
  const now = Date.now();
  const due = urgency(c);
  const isCallback = c.callback_due && new Date(c.callback_due).getTime() === due;
  const dueText = due == null ? null
    : due < now ? t('overdue', { t: fromNow(due, now) }) : t(isCallback ? 'callbackDue' : 'due', { t: fromNow(due, now) });
  return el('li', {},
    el('a', {
      href: `#/c/${c.id}`, class: `inbox-row${unread ? ' unread' : ''}${selected ? ' selected' : ''}`,
      'aria-current': selected ? 'true' : null, dataset: unread ? { id: String(c.id), unread: 'true' } : { id: String(c.id) },
    },
      el('span', { class: 'row-main' },
        unread ? el('span', { class: 'unread-dot', title: t('unread') }, el('span', { class: 'visually-hidden' }, t('unread'))) : null,
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
