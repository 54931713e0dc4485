// The workspace: three panes side by side on a wide screen (inbox, thread, customer card), two on
// a tablet (the card goes under the thread), one on a phone (the inbox, or the open conversation).
// The CSS decides the layout from the width; `data-selected` says which pane a phone shows.
import { el, clear } from './dom.js';
import { t } from './i18n.js';
import { InboxPane } from './inbox.js';
import { ConversationView } from './conversation.js';

export class Workspace {
  constructor(root, me, { marks, onEntries }) {
    this.root = root;
    this.me = me;
    this.marks = marks;
    this.selectedID = null;
    this.conversation = null;
    this.inboxPane = el('section', { class: 'pane inbox-pane', id: 'inbox-pane', 'aria-labelledby': 'inbox-title' });
    this.conversationPane = el('section', { class: 'pane conversation-pane', id: 'conversation-pane', 'aria-label': t('thread') });
    this.cardPane = el('aside', { class: 'pane card-pane', id: 'card-pane', 'aria-label': t('customerCard') });
    this.grid = el('div', { class: 'workspace', id: 'workspace', dataset: { selected: 'false' } },
      this.inboxPane, this.conversationPane, this.cardPane);
    this.inbox = new InboxPane(this.inboxPane, me, { marks, onEntries });
  }

  async load() {
    clear(this.root).append(this.grid);
    this.showPlaceholder();
    await this.inbox.load();
  }

  /** Opens conversation `id` in the middle pane (null: none). */
  select(id) {
    if (id === this.selectedID && this.conversation) return;
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
      marks: this.marks, onSeen: (seen) => this.inbox.seen(seen),
    });
    this.conversation.load();
  }

  showPlaceholder() {
    clear(this.conversationPane).append(el('p', { class: 'placeholder', id: 'pick-conversation' }, t('pickConversation')));
    clear(this.cardPane);
  }

  /** j and k: the next or previous conversation of the list, opened; the list keeps the focus. */
  step(delta) {
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
