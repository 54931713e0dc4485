// Supervisors' list of what the front line suggests (GET /api/v1/suggestions), newest first.
import { api, ApiError } from './api.js';
import { el, clear } from './dom.js';
import { t, dateTime } from './i18n.js';

export class SuggestionsView {
  constructor(root, me) {
    this.root = root;
    this.me = me;
  }

  async load() {
    clear(this.root).append(el('p', { class: 'loading' }, t('loading')));
    try {
      const { suggestions } = await api.suggestions();
      const items = suggestions.map((s) => el('li', { class: 'suggestion' },
        el('p', { class: 'meta' }, `${s.author} · ${dateTime(s.created_at)}`,
          s.conversation ? [' · ', el('a', { href: `#/c/${s.conversation}` }, t('openConversation', { id: s.conversation }))] : null),
        el('p', { class: 'body' }, s.body)));
      clear(this.root).append(
        el('h1', { id: 'suggestions-title' }, t('suggestions')),
        items.length ? el('ul', { class: 'suggestions', 'aria-labelledby': 'suggestions-title' }, items)
          : el('p', { class: 'empty' }, t('noSuggestions')));
    } catch (error) {
      const text = error instanceof ApiError ? t('error', { m: error.message }) : String(error);
      clear(this.root).append(el('p', { class: 'error', role: 'alert' }, text));
    }
  }
}
