// The workspace: three panes side by side on a wide screen (inbox, thread, customer card), two on
// a tablet (the card goes under the thread), one on a phone (the inbox, or the open conversation).
// The CSS decides the layout from the width; `data-selected` says which pane a phone shows.
import { el, clear } from './dom.js';
import { t } from './i18n.js';
import { InboxPane } from './inbox.js';
import { ConversationView } from './conversation.js';
import { SearchPanel } from './search.js';

export class Workspace {
  constructor(root, me, { marks, onEntries }) {
    this.root = root;
    this.me = me;
    this.marks = marks;
    this.selectedID = null;
    this.conversation = null;
    this.inboxPane = el('section', { class: 'pane inbox-pane', id: 'inbox-pane', 'aria-labelledby': 'inbox-title' });
    // The inbox, or search results in its place while a search is open.
    this.inboxBody = el('div', { id: 'inbox-body' });
    this.searchBody = el('div', { id: 'search-body', hidden: true });
    this.inboxPane.append(this.inboxBody, this.searchBody);
    this.conversationPane = el('section', { class: 'pane conversation-pane', id: 'conversation-pane', 'aria-label': t('thread') });
    this.cardPane = el('aside', { class: 'pane card-pane', id: 'card-pane', 'aria-label': t('customerCard') });
    this.grid = el('div', { class: 'workspace', id: 'workspace', dataset: { selected: 'false' } },
      this.inboxPane, this.conversationPane, this.cardPane);
    this.inbox = new InboxPane(this.inboxBody, me, { marks, onEntries });
    this.searchPanel = new SearchPanel(this.searchBody, { onClose: () => this.showInbox() });
  }

  /** Searches (the header's box); an empty query goes back to the inbox. */
  search(query) {
    if (!query.trim()) { this.searchPanel.close(); return; }
    this.inboxBody.hidden = true;
    this.searchBody.hidden = false;
    this.searchPanel.search(query);
  }

  /** Searches now and opens the first result (Enter in the box). */
  async searchAndOpen(query) {
    if (!query.trim()) return;
    this.search(query);
    await this.searchPanel.pending;
    this.searchPanel.openFirst();
  }

  showInbox() {
    this.searchBody.hidden = true;
    this.inboxBody.hidden = false;
    const box = document.getElementById('search');
    if (box && box.value) box.value = '';
  }

  async load() {
    clear(this.root).append(this.grid);
    this.showPlaceholder();
    await this.inbox.load();
  }

  /** Opens conversation `id` in the middle pane (null: none), at `message` when given. */
  select(id, message = null) {
    if (id === this.selectedID && this.conversation) {
      if (message != null) this.conversation.focusMessage(message);
      return;
    }
    this.conversation?.dispose();
    this.conversation = null;
    this.selectedID = id;
    this.grid.dataset.selected = String(id != null);
    this.inbox.select(id);
    if (id == null) {
      this.showPlaceholder();
      document.title = `${t('inbox')} · Switchboard`;
      return;
    }
    this.conversation = new ConversationView(this.conversationPane, this.cardPane, id, this.me, {
      marks: this.marks, onSeen: (seen) => this.inbox.seen(seen), message,
    });
    this.conversation.load();
  }

  showPlaceholder() {
    clear(this.conversationPane).append(el('p', { class: 'placeholder', id: 'pick-conversation' }, t('pickConversation')));
    clear(this.cardPane);
  }

  /** j and k: the next or previous conversation of the list, opened; the list keeps the focus. */
  step(delta) {
    if (!this.searchBody.hidden) { this.stepResults(delta); return; }
    const id = this.inbox.step(delta);
    if (id == null) return;
    if (id !== this.selectedID) {
      // Opened now, not when the hashchange arrives: a key pressed right after acts on this one.
      this.select(id);
      location.hash = `#/c/${id}`;
    }
    const link = this.inbox.rowLink(id);
    link?.focus();
    link?.scrollIntoView({ block: 'nearest' });
  }

  /** j and k over search results: the next or previous result, opened. */
  stepResults(delta) {
    const links = [...this.searchBody.querySelectorAll('a.search-result')];
    if (!links.length) return;
    const at = links.findIndex((a) => a.getAttribute('href') === location.hash);
    const next = links[Math.min(links.length - 1, Math.max(0, at < 0 ? (delta > 0 ? 0 : links.length - 1) : at + delta))];
    location.hash = next.getAttribute('href');
    next.focus();
  }

  /** Live events: the open conversation first (it marks what was read), then the list. */
  async refresh(pending) {
    await this.conversation?.refresh(pending);
    await this.inbox.refresh();
  }

  onPresence(data) {
    this.conversation?.onPresence(data);
  }

  focusField(which) {
    this.conversation?.focusField(which);
  }

  /** Where the keyboard goes after Escape leaves a text box: the open conversation's row. */
  focusSelection() {
    const link = this.selectedID != null ? this.inbox.rowLink(this.selectedID) : null;
    if (link?.offsetParent) link.focus();
    else document.getElementById('conv-title')?.focus();
  }

  dispose() {
    this.conversation?.dispose();
    this.conversation = null;
  }
}
