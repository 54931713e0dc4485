// The notes that mentioned me (GET /api/v1/mentions), newest first; each opens its conversation
// at the note. A mention lets the agent read that conversation and answer in a note.
import { api, ApiError } from './api.js';
import { el, clear } from './dom.js';
import { t, dateTime } from './i18n.js';

export class MentionsView {
  constructor(root, me) {
    this.root = root;
    this.me = me;
  }

  async load() {
    clear(this.root).append(el('p', { class: 'loading' }, t('loading')));
    try {
      const { mentions } = await api.mentions();
      const items = mentions.map((m) => el('li', { class: 'mention', dataset: { conversation: String(m.conversation_id) } },
        el('a', { href: `#/c/${m.conversation_id}/m/${m.message}`, class: 'mention-link' },
          el('span', { class: 'meta' }, t('mentionBy', { a: m.author, n: m.customer?.name || t('unnamed') }), ' · ',
            el('span', { class: 'reference' }, m.reference), ' · ', el('time', { datetime: m.created_at }, dateTime(m.created_at))),
          el('span', { class: 'body' }, m.note))));
      clear(this.root).append(
        el('h1', { id: 'mentions-title' }, t('mentions')),
        items.length ? el('ul', { class: 'mentions', id: 'mentions-list', 'aria-labelledby': 'mentions-title' }, items)
          : el('p', { class: 'empty' }, t('noMentions')));
    } catch (error) {
      const text = error instanceof ApiError ? t('error', { m: error.message }) : String(error);
      clear(this.root).append(el('p', { class: 'error', role: 'alert' }, text));
    }
  }
}
