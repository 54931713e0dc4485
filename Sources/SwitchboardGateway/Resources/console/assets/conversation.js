// One conversation: the thread across channels and the reply box (the middle pane), the customer
// card (the right pane), who else has it open, and a warning when a colleague replied meanwhile.
import { api, ApiError } from './api.js';
import { el, clear, announce, showError, clearError } from './dom.js';
import { t, dateTime, fromNow } from './i18n.js';
import { PresenceAnnouncer } from './presence.js';
import { SavedReplies, gapsIn } from './saved-replies.js';
import { ReplyFiles } from './reply-files.js';

// Messages per page of the thread: the newest page first, older ones as the agent scrolls up.
export const PAGE = 50;

export class ConversationView {
  constructor(pane, cardPane, id, me, { marks, onSeen, message = null } = {}) {
    this.pane = pane;
    this.cardPane = cardPane;
    this.id = id;
    this.me = me;
    this.marks = marks;
    this.onSeen = onSeen;
    this.detail = null;
    this.seen = new Set();
    this.viewers = new Map();
    this.presence = null;
    this.disposed = false;
    this.wantFocus = null;
    // The message a search result points at: shown marked, scrolled to and focused.
    this.target = message;
    // Collision detection: the messages known when the agent began typing.
    this.typingFrom = null;
    this.header = el('div', { class: 'conv-header' });
    this.viewersLine = el('p', { class: 'viewers', id: 'viewers', 'aria-live': 'polite' });
    this.thread = el('ol', { class: 'thread', id: 'thread', 'aria-labelledby': 'thread-title' });
    this.card = el('div', { class: 'customer-card', id: 'customer-card', 'aria-labelledby': 'card-title' });
    this.composer = el('div', { class: 'composer' });
    this.viaSelect = null;
    // The thread as loaded so far (id → message): the newest page, and older pages fetched on scroll.
    this.loaded = new Map();
    // The `before` cursor of the next older page; null once the start of the thread is loaded.
    this.nextBefore = null;
    this.loadingOlder = false;
    this.olderBar = el('p', { class: 'older', hidden: true },
      el('button', { type: 'button', id: 'load-older', class: 'secondary small', onclick: () => this.loadOlder() }, t('olderMessages')));
    // Scrolled to the top: the page before comes in above, the messages in view stay where they are.
    this.thread.addEventListener('scroll', () => { if (this.thread.scrollTop < 60) this.loadOlder(); });
    // Whom the reply copies (channels that copy people): the chips in the reply box.
    this.cc = null;
    this.ccFor = null;
  }

  /** The newest page of the thread. */
  fetchLatest() {
    return api.conversation(this.id, { limit: PAGE });
  }

  async load() {
    clear(this.pane).append(el('p', { class: 'loading' }, t('loading')));
    clear(this.cardPane);
    let detail;
    try {
      detail = await this.fetchLatest();
    } catch (error) {
      if (!this.disposed) this.renderRefusal(error);
      return;
    }
    if (this.disposed) return;
    clear(this.pane).append(
      el('a', { href: '#/', class: 'back', id: 'back-link' }, t('back')),
      this.header,
      this.viewersLine,
      el('section', { class: 'conv-main', 'aria-labelledby': 'thread-title' },
        el('h2', { id: 'thread-title', class: 'visually-hidden' }, t('thread')),
        this.olderBar,
        this.thread,
        this.composer));
    clear(this.cardPane).append(this.card);
    this.show(detail, false);
    this.renderComposer();
    this.presence = new PresenceAnnouncer(this.id, (viewers) => this.setViewers(viewers));
    this.presence.start();
    if (this.wantFocus) { this.focusField(this.wantFocus); return; }
    // A search result may point pages back: load older pages until it is there.
    for (let pages = 0; this.target != null && !this.loaded.has(this.target) && this.nextBefore != null && pages < 200; pages += 1) {
      if (!(await this.loadOlder())) break;
    }
    if (this.target != null && this.focusMessage(this.target)) return;
    // On a phone the list that had the focus is gone: the conversation takes it.
    const active = document.activeElement;
    if (!active || active === document.body || !active.offsetParent) document.getElementById('conv-title')?.focus();
  }

  dispose() {
    this.disposed = true;
    this.presence?.stop();
  }

  renderRefusal(error) {
    const text = error instanceof ApiError && error.status === 403 ? t('forbidden', { m: error.message })
      : error instanceof ApiError && error.status === 404 ? t('notFound') : t('error', { m: error.message });
    this.presence?.stop();
    clear(this.cardPane);
    clear(this.pane).append(
      el('a', { href: '#/', class: 'back', id: 'back-link' }, t('back')),
      el('p', { class: 'refusal', id: 'conversation-refused', role: 'alert', dataset: { status: String(error.status ?? '') } }, text));
  }

  async refresh(pending) {
    if (this.disposed || !this.detail) return;
    if (!pending.all && !pending.ids.has(this.id)) return;
    try {
      this.show(await this.fetchLatest(), true);
    } catch (error) {
      this.renderRefusal(error);
      return;
    }
    for (const { type, data } of pending.events) {
      if (type === 'delivery.updated' && data.conversation_id === this.id && data.delivery) {
        announce(t('deliveryChanged', { s: t(`delivery_${data.delivery.state}`) }));
      }
    }
  }

  show(page, live) {
    const before = this.seen;
    const detail = this.merge(page);
    this.detail = detail;
    this.seen = new Set(detail.messages.map((m) => m.id));
    document.title = `${detail.customer.name || t('unnamed')} · Switchboard`;
    this.renderHeader();
    this.renderThread(live ? before : null);
    this.renderCard();
    this.updateVia();
    this.setViewers(detail.viewers ?? []);
    this.checkCollision();
    if (document.visibilityState === 'visible') {
      this.marks?.markSeen(detail);
      this.onSeen?.(detail.id);
    }
  }

  /**
   * Takes in the newest page: it replaces what it covers; older pages loaded by scrolling stay.
   * Returns the detail with every loaded message, in thread order.
   */
  merge(page) {
    if (page.next_before == null) {
      // The page is the whole thread.
      this.loaded = new Map();
      this.nextBefore = null;
    } else if (!page.messages.some((m) => this.loaded.has(m.id))) {
      // Nothing in common with what is shown (the first page, or more arrived than a page holds):
      // start again from this page, so no gap is left between it and older pages.
      this.loaded = new Map();
      this.nextBefore = page.next_before;
    }
    for (const m of page.messages) this.loaded.set(m.id, m);
    return { ...page, messages: threadOrder([...this.loaded.values()]) };
  }

  /** Loads the page before the oldest message shown, keeping the messages in view where they are. */
  async loadOlder() {
    if (this.loadingOlder || this.nextBefore == null || this.disposed || !this.detail) return false;
    this.loadingOlder = true;
    const button = document.getElementById('load-older');
    if (button) { button.disabled = true; button.textContent = t('loadingOlder'); }
    try {
      const page = await api.conversation(this.id, { limit: PAGE, before: this.nextBefore });
      if (this.disposed) return false;
      for (const m of page.messages) this.loaded.set(m.id, m);
      this.nextBefore = page.next_before ?? null;
      this.detail = { ...this.detail, messages: threadOrder([...this.loaded.values()]) };
      for (const m of page.messages) this.seen.add(m.id);
      const fromBottom = this.thread.scrollHeight - this.thread.scrollTop;
      this.renderThread(null, { keepFromBottom: fromBottom });
      announce(t('olderLoaded', { n: page.messages.length }));
      return true;
    } catch (error) {
      showError(t('error', { m: error.message }));
      return false;
    } finally {
      this.loadingOlder = false;
      if (button) { button.disabled = false; button.textContent = t('olderMessages'); }
    }
  }

  // --- who else is here --------------------------------------------------------------------

  setViewers(list) {
    this.viewers = new Map(list.filter((v) => v.agent !== this.me.id).map((v) => [v.agent, v]));
    this.renderViewers();
  }

  /** A `presence.updated` event for this conversation. */
  onPresence(data) {
    if (data.conversation_id !== this.id || data.agent === this.me.id) return;
    if (data.state === 'left') this.viewers.delete(data.agent);
    else this.viewers.set(data.agent, data);
    this.renderViewers();
  }

  renderViewers() {
    const list = [...this.viewers.values()];
    const typing = list.filter((v) => v.state === 'typing');
    const viewing = list.filter((v) => v.state !== 'typing');
    const lines = [
      ...typing.map((v) => el('span', { class: 'viewer typing', dataset: { agent: v.agent, state: 'typing' } }, t('typing', { n: v.name }))),
      ...viewing.map((v) => el('span', { class: 'viewer', dataset: { agent: v.agent, state: 'viewing' } }, t('viewing', { n: v.name }))),
    ];
    this.viewersLine.replaceChildren(...lines);
    this.viewersLine.hidden = lines.length === 0;
  }

  // --- a colleague replied while I was typing --------------------------------------------------

  /** Replies by someone else that arrived after the agent began typing. */
  repliesSinceTyping() {
    if (!this.typingFrom || !this.detail) return [];
    return this.detail.messages.filter((m) => m.direction === 'outbound' && !this.typingFrom.has(m.id) && m.author && m.author !== this.me.id);
  }

  checkCollision() {
    const others = this.repliesSinceTyping();
    if (!this.collisionBox) return others;
    if (!others.length) {
      this.collisionBox.hidden = true;
      this.collisionBox.replaceChildren();
      this.sendButton.textContent = t('send');
      return others;
    }
    const latest = others[others.length - 1];
    const body = latest.body.length > 160 ? `${latest.body.slice(0, 160)}…` : latest.body;
    this.collisionBox.replaceChildren(
      el('p', { class: 'collision-text' }, t('collision', { n: this.viewers.get(latest.author)?.name ?? latest.author, b: body })),
      el('p', { class: 'hint' }, t('collisionHint')));
    this.collisionBox.hidden = false;
    this.sendButton.textContent = t('collisionSendAnyway');
    return others;
  }

  renderHeader() {
    const d = this.detail;
    clear(this.header).append(
      el('h1', { id: 'conv-title', tabindex: '-1' }, d.customer.name || t('unnamed')),
      el('p', { class: 'conv-facts' },
        el('span', { class: 'reference' }, `${t('reference')}: ${d.reference}`),
        el('span', { class: 'badge status', id: 'conv-status' }, t(d.status)),
        d.escalated ? el('span', { class: 'badge escalated' }, t('escalated')) : null,
        d.priority && d.priority !== 'normal'
          ? el('span', { class: `badge priority priority-${d.priority}`, id: 'conv-priority' }, t(`priority_${d.priority}`)) : null,
        // Which SLA policy the clocks run under; why, on hover and for screen readers.
        d.sla ? el('span', { class: 'sla-policy', id: 'conv-sla', title: d.sla.reason, 'aria-label': `${t('slaPolicy')}: ${d.sla.reason}` },
          `${t('slaPolicy')}: ${d.sla.policy}`) : null,
        d.first_response_due && d.status === 'open'
          ? el('span', { class: new Date(d.first_response_due) < new Date() ? 'due overdue' : 'due' },
            t(new Date(d.first_response_due) < new Date() ? 'overdue' : 'due', { t: fromNow(d.first_response_due) }))
          : null),
      // (append() would print a null as text; el() skips it.)
      ...(d.tags?.length ? [el('p', { class: 'tags', id: 'conv-tags' }, `${t('tags')}: `, d.tags.map((tag) => el('span', { class: 'badge tag' }, tag)))] : []));
  }

  /** Marks, scrolls to and focuses message `id` of the thread (a search result); false if absent. */
  focusMessage(id) {
    this.target = id;
    const item = this.thread.querySelector(`li[data-id="${CSS.escape(String(id))}"]`);
    if (!item) return false;
    for (const other of this.thread.querySelectorAll('li.target')) { other.classList.remove('target'); other.removeAttribute('aria-current'); }
    item.classList.add('target');
    item.setAttribute('aria-current', 'true');
    item.setAttribute('tabindex', '-1');
    item.scrollIntoView({ block: 'center' });
    item.focus({ preventScroll: true });
    return true;
  }

  renderThread(before, { keepFromBottom = null } = {}) {
    const atBottom = this.thread.scrollHeight - this.thread.scrollTop - this.thread.clientHeight < 40;
    this.olderBar.hidden = this.nextBefore == null;
    this.thread.dataset.complete = String(this.nextBefore == null);
    clear(this.thread);
    const reactions = reactionsByReply(this.detail.messages);
    for (const m of this.detail.messages) {
      const mine = m.direction === 'outbound' && m.external_id ? reactions.get(m.external_id) : null;
      const item = messageItem(m, (id) => this.retry(id), mine);
      if (before && !before.has(m.id)) item.classList.add('fresh');
      if (m.id === this.target) { item.classList.add('target'); item.setAttribute('aria-current', 'true'); item.setAttribute('tabindex', '-1'); }
      this.thread.append(item);
    }
    if (keepFromBottom != null) { this.thread.scrollTop = this.thread.scrollHeight - keepFromBottom; return; }
    if ((atBottom || !before) && this.target == null) this.thread.scrollTop = this.thread.scrollHeight;
  }

  renderCard() {
    const c = this.detail.customer;
    const d = this.detail;
    const byChannel = Object.entries(c.contacts_by_channel ?? {});
    clear(this.card).append(
      el('h2', { id: 'card-title' }, t('customerCard')),
      el('p', { class: 'card-name', id: 'card-name' }, c.name || t('unnamed')),
      el('dl', { class: 'facts' },
        el('dt', {}, t('owner')), el('dd', { id: 'card-owner' }, d.owner ?? t('nobody')),
        el('dt', {}, t('assignee')), el('dd', { id: 'card-assignee' }, d.assignee ?? t('nobody'))),
      el('h3', {}, t('identities')),
      el('ul', { class: 'identities', id: 'card-identities' },
        (c.identities ?? []).map((i) => el('li', {},
          el('span', { class: 'badge channel' }, i.adapter), ' ', el('span', { class: 'address' }, i.address),
          el('span', { class: 'muted' }, ` (${i.channel})`)))),
      ...(d.participants?.length ? [el('h3', {}, t('participants')),
        el('ul', { class: 'identities', id: 'card-participants' },
          d.participants.map((p) => el('li', { dataset: { address: p.address } }, el('span', { class: 'address' }, p.address),
            el('span', { class: 'muted' }, ` (${p.channel})`), ' ',
            // Split off: their mail no longer joins this conversation.
            el('button', { type: 'button', class: 'link participant-split', title: t('participantSplitHint'),
              'aria-label': t('participantSplit', { a: p.address }),
              onclick: () => this.act(() => api.removeParticipant(this.id, p.address)) }, t('split')))))] : []),
      el('h3', {}, t('contacts')),
      el('dl', { class: 'facts', id: 'card-contacts' },
        el('dt', {}, t('contactsTotal')), el('dd', { id: 'contacts-total' }, String(c.contacts ?? 0)),
        el('dt', {}, t('contactsLast30')), el('dd', { id: 'contacts-30' }, String(c.contacts_last_30_days ?? 0)),
        byChannel.length ? [el('dt', {}, t('perChannel')), el('dd', {},
          el('ul', { class: 'plain' }, byChannel.map(([adapter, n]) => el('li', {}, el('span', { class: 'badge channel' }, adapter), ` ${n}`))))] : null),
      el('h3', {}, t('context')),
      contextSection(c));
  }

  renderComposer() {
    const replyError = el('p', { class: 'form-error', id: 'reply-error', role: 'alert' });
    const body = el('textarea', { id: 'reply-body', rows: '3', 'aria-keyshortcuts': 'r' });
    this.viaSelect = el('select', { id: 'reply-via' });
    this.viaHint = el('p', { class: 'hint', id: 'reply-via-hint' });
    this.collisionBox = el('div', { class: 'collision', id: 'reply-collision', role: 'alert', tabindex: '-1', hidden: true });
    this.ccBox = el('div', { class: 'cc', id: 'reply-cc', role: 'group', hidden: true });
    this.ccError = el('p', { class: 'form-error', id: 'reply-cc-error', role: 'alert' });
    this.sendButton = el('button', { type: 'submit', id: 'reply-send' }, t('send'));
    const savedSlot = el('span', { class: 'saved-replies', id: 'saved-replies', hidden: true });
    this.files = new ReplyFiles((error) => {
      replyError.textContent = error.message;
      replyError.dataset.code = error.code ?? '';
    });
    this.saved = new SavedReplies(body, this.id, { slot: savedSlot });
    body.addEventListener('input', () => {
      if (body.value.trim() === '') {
        this.typingFrom = null;
        this.presence?.doneTyping();
      } else {
        if (!this.typingFrom) this.typingFrom = new Set(this.seen);
        this.presence?.typing();
      }
      this.checkCollision();
    });
    const form = el('form', { id: 'reply-form', class: 'reply', onsubmit: async (event) => {
      event.preventDefault();
      replyError.textContent = '';
      // A saved reply's missing value is never sent: the agent fills it in first.
      const gaps = gapsIn(body.value);
      if (gaps.length) {
        replyError.textContent = t('savedReplyFillIn', { f: gaps.join(', ') });
        replyError.dataset.code = 'unfilled_placeholder';
        body.focus();
        return;
      }
      // What the agent chose, before a refresh below redraws the choices.
      const via = this.viaSelect.value;
      // A colleague may have answered meanwhile: look again, and have the warning on screen
      // before anything goes out (pressing Send while it shows sends anyway).
      if (this.typingFrom && this.collisionBox.hidden) {
        try { this.show(await this.fetchLatest(), true); } catch { /* send; the server decides */ }
        if (!this.collisionBox.hidden) {
          this.collisionBox.focus();
          return;
        }
      }
      if (this.files.uploading) {
        replyError.textContent = t('stillUploading');
        return;
      }
      const template = this.files.template;
      const attachments = this.files.references();
      if (!template && !attachments.length && body.value.trim() === '') {
        replyError.textContent = t('replyEmpty');
        body.focus();
        return;
      }
      const payload = template ? { template } : { body: body.value };
      if (!template && attachments.length) payload.attachments = attachments;
      if (via && via !== this.defaultAdapter()) payload.via = via;
      // The people the chips name, as the agent left them (none: the customer only).
      if (this.cc) payload.cc = [...this.cc];
      try {
        await api.reply(this.id, payload);
        body.value = '';
        this.files.clear();
        this.typingFrom = null;
        this.presence?.doneTyping();
        announce(t('sent'));
        // The next reply starts again from its own default copies.
        this.ccFor = null;
        this.show(await this.fetchLatest(), true);
      } catch (error) {
        replyError.textContent = error.message;
        replyError.dataset.code = error.code ?? '';
      }
    } },
    el('label', { for: 'reply-body' }, t('reply')), body,
    el('p', { class: 'hint', id: 'reply-hint' }, t('replyHint')),
    ...this.files.nodes(),
    ...this.saved.nodes(),
    this.collisionBox,
    el('div', { class: 'row' },
      el('label', { for: 'reply-via' }, t('replyVia')), this.viaSelect,
      savedSlot,
      this.sendButton),
    this.viaHint, this.ccBox, replyError);
    this.files.attachTo(form);
    this.viaSelect.addEventListener('change', () => this.updateViaHint());

    const actions = el('div', { class: 'actions', role: 'group', 'aria-label': t('actions') },
      simpleForm('note', t('addNote'), t('saveNote'), (v) => api.note(this.id, v), this, { multiline: true, key: 'n', hint: t('noteHint') }),
      simpleForm('escalate', t('escalateReason'), t('escalate'), (v) => api.escalate(this.id, v), this, { key: 'e' }),
      simpleForm('tag', t('tag'), t('addTag'), (v) => api.tag(this.id, v), this),
      simpleForm('merge', t('mergeOther'), t('merge'), async (v) => {
        if (!window.confirm(t('mergeConfirm', { o: v }))) return false;
        return api.merge(this.detail.customer.id, Number(v));
      }, this, { type: 'number' }),
      el('button', { type: 'button', id: 'resolve', class: 'secondary', onclick: () => this.act(() => api.resolve(this.id)) }, t('resolve')));
    clear(this.composer).append(form, el('h2', { class: 'visually-hidden' }, t('actions')), actions);
    this.updateVia();
    this.checkCollision();
  }

  /**
   * Puts the keyboard in the reply box (r), the note (n) or the escalation reason (e); pressed
   * while the conversation still loads, it happens as soon as the box is there.
   */
  focusField(which) {
    const field = this.composer.isConnected
      ? document.getElementById({ reply: 'reply-body', note: 'note-body', escalate: 'escalate-body' }[which]) : null;
    if (!field) { this.wantFocus = which; return; }
    this.wantFocus = null;
    field.scrollIntoView({ block: 'nearest' });
    field.focus();
  }

  /** The adapter a reply leaves through when the agent picks none: the latest inbound message's. */
  defaultAdapter() {
    const inbound = (this.detail?.messages ?? []).filter((m) => m.direction === 'inbound' && m.adapter);
    return inbound.length ? inbound[inbound.length - 1].adapter : null;
  }

  updateVia() {
    if (!this.viaSelect || !this.detail) return;
    const chosen = this.viaSelect.value;
    const fallback = this.defaultAdapter();
    const offered = (this.detail.channels ?? []).map((c) => c.adapter);
    const adapters = [...new Set([fallback, ...offered, ...(this.detail.customer.identities ?? []).map((i) => i.adapter)].filter(Boolean))];
    clear(this.viaSelect).append(...adapters.map((a) => el('option', { value: a }, a === fallback ? t('replyDefault', { a }) : a)));
    this.viaSelect.value = adapters.includes(chosen) ? chosen : (fallback ?? '');
    this.updateViaHint();
  }

  /// Says where the reply leaves and what that channel allows now: a closed window or a refusal
  /// shows before the agent writes, with what to do instead.
  updateViaHint() {
    const adapter = this.viaSelect.value;
    if (!adapter) { this.viaHint.textContent = ''; return; }
    const channel = (this.detail.channels ?? []).find((c) => c.adapter === adapter);
    const parts = [t('replyLeaves', { a: adapter })];
    if (channel && !channel.can_reply) {
      parts.push(t('replyBlocked', { r: channel.reason ?? '' }));
    } else if (channel?.window_closes_at) {
      const hours = (new Date(channel.window_closes_at) - Date.now()) / 3600000;
      parts.push(t('replyWindow', { h: hours.toFixed(1) }));
    }
    if (channel?.max_text_length) parts.push(t('replyMax', { n: channel.max_text_length }));
    this.viaHint.textContent = parts.join(' ');
    this.files?.showChannel(channel);
    this.viaHint.classList.toggle('warning', Boolean(channel && !channel.can_reply));
    this.updateCc(channel);
  }

  // --- whom the reply copies (e-mail) ------------------------------------------------------

  /** Shows the chips for channels that copy people; starts from the reply's default copies. */
  updateCc(channel) {
    if (!this.ccBox) return;
    if (!channel?.copies) {
      this.cc = null;
      this.ccFor = null;
      this.ccBox.hidden = true;
      this.ccBox.replaceChildren();
      return;
    }
    // Kept while the agent edits; a live refresh does not undo their choice.
    if (this.ccFor === channel.adapter && !this.ccBox.hidden) return;
    this.cc = this.defaultCc(channel);
    this.ccFor = channel.adapter;
    this.renderCc(channel);
  }

  /**
   * What the server copies when the reply names nobody: the participants of the customer's latest
   * message through this adapter (reply-all), else the conversation's; never the recipient.
   */
  defaultCc(channel) {
    const recipient = (channel.address ?? '').toLowerCase();
    const latest = [...(this.detail.messages ?? [])].reverse().find((m) => m.direction === 'inbound' && m.adapter === channel.adapter);
    const listed = latest ? String(latest.metadata?.participants ?? '').split(',') : (this.detail.participants ?? []).map((p) => p.address);
    return [...new Set(listed.map((a) => a.trim().toLowerCase()).filter((a) => a && a !== recipient))];
  }

  renderCc(channel) {
    const recipient = (channel.address ?? '').toLowerCase();
    const input = el('input', { id: 'reply-cc-input', type: 'email', list: 'reply-cc-options', autocomplete: 'off', 'aria-label': t('ccAddLabel') });
    const refocus = () => document.getElementById('reply-cc-input')?.focus();
    const add = () => {
      const address = input.value.trim().toLowerCase();
      if (!address) return;
      if (!/^[^\s@<>,;"]+@[^\s@<>,;".]+(\.[^\s@<>,;".]+)+$/.test(address)) {
        this.ccError.textContent = t('ccBad', { a: address });
        return;
      }
      this.ccError.textContent = '';
      if (address !== recipient && !this.cc.includes(address)) this.cc.push(address);
      this.renderCc(channel);
      refocus();
    };
    input.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); add(); } });
    const offered = (this.detail.participants ?? []).map((p) => p.address).filter((a) => a !== recipient && !this.cc.includes(a));
    this.ccBox.replaceChildren(
      el('span', { class: 'cc-label', id: 'reply-cc-label' }, t('cc')),
      el('ul', { class: 'chips', id: 'reply-cc-chips', 'aria-labelledby': 'reply-cc-label' },
        this.cc.map((address) => el('li', { class: 'chip', dataset: { address } },
          el('span', {}, address),
          el('button', { type: 'button', class: 'chip-remove', 'aria-label': t('ccRemove', { a: address }), onclick: () => {
            this.cc = this.cc.filter((a) => a !== address);
            this.renderCc(channel);
            refocus();
          } }, '×')))),
      this.cc.length ? null : el('span', { class: 'muted', id: 'reply-cc-none' }, t('ccNone')),
      input,
      el('datalist', { id: 'reply-cc-options' }, offered.map((a) => el('option', { value: a }))),
      el('button', { type: 'button', class: 'secondary small', id: 'reply-cc-add', onclick: add }, t('ccAdd')),
      el('p', { class: 'hint' }, t('ccHint')),
      this.ccError);
    this.ccBox.hidden = false;
  }

  async act(action) {
    clearError();
    try {
      const result = await action();
      if (result === false) return false;
      announce(t('done'));
      this.show(await this.fetchLatest(), true);
      return true;
    } catch (error) {
      showError(t('error', { m: error.message }));
      return false;
    }
  }

  retry(messageID) {
    return this.act(() => api.retry(messageID));
  }
}

function simpleForm(name, label, button, call, view, { multiline = false, type = 'text', key = null, hint = null } = {}) {
  const id = `${name}-body`;
  const input = multiline
    ? el('textarea', { id, rows: '2', required: true, 'aria-keyshortcuts': key })
    : el('input', { id, type, required: true, min: type === 'number' ? '1' : null, 'aria-keyshortcuts': key });
  return el('form', { class: `mini ${name}`, id: `${name}-form`, onsubmit: async (event) => {
    event.preventDefault();
    if (await view.act(() => call(input.value))) input.value = '';
  } }, el('label', { for: id }, label), input, hint ? el('p', { class: 'hint', id: `${name}-hint` }, hint) : null,
  el('button', { type: 'submit', class: 'secondary' }, button));
}

function messageItem(m, retry, reactions) {
  const meta = el('p', { class: 'meta' },
    m.adapter ? el('span', { class: 'badge channel', title: m.channel ?? '' }, m.adapter) : null,
    el('span', { class: 'direction' }, t(m.direction)),
    m.author ? el('span', { class: 'author' }, m.author) : null,
    el('time', { datetime: m.created_at }, dateTime(m.created_at)));
  const children = [meta, el('p', { class: 'body' }, m.body)];
  if (m.attachments?.length) {
    children.push(el('ul', { class: 'attachments', 'aria-label': t('attachments') },
      m.attachments.map((a, index) => attachmentItem(m, a, index))));
  }
  if (reactions?.length) {
    children.push(el('p', { class: 'reactions', 'aria-label': t('reactions') },
      reactions.map((r) => el('span', { class: 'badge reaction', title: dateTime(r.created_at) }, r.emoji))));
  }
  if (m.direction === 'outbound' && m.delivery) {
    const d = m.delivery;
    children.push(el('p', { class: `delivery delivery-${d.state}` },
      el('span', { class: 'delivery-state', dataset: { state: d.state } }, t(`delivery_${d.state}`)),
      d.attempts > 1 ? el('span', { class: 'muted' }, ` · ${t('attempts', { n: d.attempts })}`) : null,
      d.error ? el('span', { class: 'delivery-error' }, ` · ${d.error}`) : null,
      d.state === 'failed' ? el('button', { type: 'button', class: 'secondary retry', onclick: () => retry(m.id) }, t('retry')) : null));
  }
  return el('li', { class: `msg msg-${m.direction}`, dataset: { id: String(m.id), direction: m.direction } }, children);
}

/** The thread's order: when each message was written, then id (as the server pages it). */
function threadOrder(messages) {
  return messages.sort((a, b) => (Date.parse(a.created_at) - Date.parse(b.created_at)) || (a.id - b.id));
}

/**
 * One attachment as the agent sees it: stored images inline, voice notes and audio in a player, videos
 * in a player, documents as a download (all served by the gateway with the download's safety headers,
 * never hot-linked from the platform); a location's coordinates with a map link; a contact's name and
 * number; media still being fetched, or that could not be, say so.
 */
function attachmentItem(m, a, index) {
  const name = a.file_name || a.kind;
  const facts = [a.mime_type, a.size != null ? formatSize(a.size) : null].filter(Boolean).join(', ');
  const details = a.details ?? {};
  // Stored contents come through the agent API (the session cookie is the credential).
  const src = `/api/v1/messages/${encodeURIComponent(m.id)}/attachments/${index}`;
  const type = (a.mime_type ?? '').toLowerCase();
  const classes = `attachment attachment-${a.kind}`;
  if (a.kind === 'location') {
    const lat = Number(details.latitude);
    const lon = Number(details.longitude);
    const known = details.latitude != null && details.longitude != null && Number.isFinite(lat) && Number.isFinite(lon);
    const place = [details.name ?? details.title, details.address].filter(Boolean).join(', ');
    return el('li', { class: classes },
      `${t('location')}: `, place ? `${place} ` : '',
      known ? el('span', { class: 'coordinates' }, place ? `(${lat.toFixed(5)}, ${lon.toFixed(5)})` : `${lat.toFixed(5)}, ${lon.toFixed(5)}`) : null,
      known ? el('a', { class: 'map-link', href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`,
        rel: 'noopener noreferrer', target: '_blank' }, ` ${t('map')}`) : null);
  }
  if (a.kind === 'contact') {
    const number = details.phones ?? details.phone_number ?? details.phone ?? '';
    return el('li', { class: classes }, `${t('contact')}: `, el('span', { class: 'contact-name' }, details.name ?? ''),
      number ? el('span', { class: 'contact-number' }, ` ${number}`) : null);
  }
  if (a.state === 'fetching') {
    return el('li', { class: `${classes} fetching` }, name, el('span', { class: 'muted' }, ` · ${t('fetching')}`));
  }
  if (a.state === 'failed') {
    return el('li', { class: `${classes} fetch-failed` }, name,
      el('span', { class: 'muted not-stored', title: a.reason ?? '' }, ` · ${t('fetch_failed', { r: a.reason ?? '' })}`));
  }
  if (a.stored === true) {
    const download = el('a', { href: src, download: name, class: 'attachment-download' }, name);
    const label = t(`media_${a.kind}`) === `media_${a.kind}` ? name : t(`media_${a.kind}`);
    let player = null;
    if (type.startsWith('image/') && ['image', 'photo', 'sticker'].includes(a.kind)) {
      player = el('a', { href: src, target: '_blank', rel: 'noopener' },
        el('img', { src, alt: details.caption || label, class: 'attachment-image', loading: 'lazy' }));
    } else if (type.startsWith('audio/') || a.kind === 'voice' || a.kind === 'audio') {
      player = el('audio', { src, controls: true, preload: 'none', class: 'attachment-audio', 'aria-label': label });
    } else if (type.startsWith('video/') || a.kind === 'video') {
      player = el('video', { src, controls: true, preload: 'metadata', class: 'attachment-video', 'aria-label': label });
    }
    return el('li', { class: classes }, player, player ? el('br') : null, download, facts ? ` (${facts})` : '');
  }
  // Other web links are followed; anything else (javascript:, data:) stays text.
  const safe = typeof a.url === 'string' && /^https?:\/\//i.test(a.url);
  const link = safe ? el('a', { href: a.url, rel: 'noopener noreferrer', target: '_blank' }, name) : name;
  return el('li', { class: classes }, link, facts ? ` (${facts})` : '',
    a.stored === false ? el('span', { class: 'muted not-stored', title: a.reason ?? '' }, ` · ${t('not_stored')}`) : null);
}

/** Reactions the customer put on our replies, by the reply's external id (the platform's). */
function reactionsByReply(messages) {
  const byExternal = new Map();
  for (const m of messages) {
    const target = m.metadata?.reply_to;
    const reaction = m.attachments?.find((a) => a.kind === 'reaction');
    if (!target || !reaction) continue;
    // The latest reaction of the customer stands (an empty one takes it back).
    byExternal.set(target, reaction.details?.emoji ? [{ emoji: reaction.details.emoji, created_at: m.created_at }] : []);
  }
  return byExternal;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function contextSection(customer) {
  const providers = [...new Set([...Object.keys(customer.context ?? {}), ...Object.keys(customer.context_status ?? {})])].sort();
  if (!providers.length) return el('p', { class: 'muted' }, t('noContext'));
  return el('div', { class: 'context', id: 'card-context' }, providers.map((id) => {
    const status = customer.context_status?.[id];
    const label = status ? `${id}: ${t(`ctx_${status.state}`)}${status.message ? ` — ${status.message}` : ''}` : id;
    return el('section', { class: 'provider', dataset: { provider: id, state: status?.state ?? 'ok' } },
      el('h4', { class: 'provider-status' }, label),
      id in (customer.context ?? {}) ? jsonView(customer.context[id]) : null);
  }));
}

/** Renders provider JSON as nested definition lists; every value goes in as text. */
function jsonView(value, depth = 0) {
  if (depth > 6) return el('span', {}, JSON.stringify(value));
  if (Array.isArray(value)) {
    return el('ol', { class: 'json-list' }, value.map((v) => el('li', {}, jsonView(v, depth + 1))));
  }
  if (value && typeof value === 'object') {
    return el('dl', { class: 'json' }, Object.entries(value).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, jsonView(v, depth + 1))]));
  }
  return el('span', { class: 'json-value' }, value == null || value === '' ? '—' : String(value));
}
