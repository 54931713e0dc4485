// Search (the header's box, `/`): everything the agent may read, messages, customers, tags and
// references, with filters. Results take the inbox pane's place until the search is cleared; each
// opens its conversation at the message found (#/c/ID/m/MESSAGE). Snippets arrive as parts; a
// match is shown in <mark>, and every part is text, never markup.
import { api } from './api.js';
import { el, clear, announce } from './dom.js';
import { t, dateTime } from './i18n.js';

const STATUSES = ['all', 'open', 'pending', 'resolved'];
const PERIODS = { any: null, d7: 7, d30: 30, d90: 90, d365: 365 };

export class SearchPanel {
  constructor(root, { onClose } = {}) {
    this.root = root;
    this.onClose = onClose;
    this.query = '';
    this.filters = { status: 'all', period: 'any', adapter: '', tag: '', order: 'newest' };
    this.results = [];
    this.cursor = null;
    this.seq = 0;
    /** The search running now (awaited by Enter, which opens its first result). */
    this.pending = Promise.resolve();
    this.list = el('ul', { class: 'search-results', id: 'search-results', 'aria-labelledby': 'search-title' });
    this.summary = el('p', { class: 'search-summary', id: 'search-summary', role: 'status' });
    this.more = el('button', { type: 'button', class: 'secondary more', id: 'search-more', hidden: true, onclick: () => this.run(true) }, t('searchMore'));
  }

  get active() { return this.query.length > 0; }

  render() {
    const select = (id, key, values, label) => el('label', { class: 'search-filter', for: id }, label,
      el('select', { id, onchange: (e) => { this.filters[key] = e.target.value; this.pending = this.run(false); } },
        values.map((v) => el('option', { value: v, selected: this.filters[key] === v ? true : null }, t(`search_${key}_${v}`)))));
    const text = (id, key, label) => el('label', { class: 'search-filter', for: id }, label,
      el('input', { id, value: this.filters[key], autocomplete: 'off', onchange: (e) => { this.filters[key] = e.target.value.trim(); this.pending = this.run(false); } }));
    clear(this.root).append(
      el('div', { class: 'pane-head' },
        el('h2', { id: 'search-title' }, t('searchResults')),
        el('button', { type: 'button', class: 'link close-search', id: 'search-close', onclick: () => this.close() }, t('searchClose'))),
      el('details', { class: 'search-filters', id: 'search-filters' },
        el('summary', {}, t('searchFilters')),
        select('search-status', 'status', STATUSES, t('statusFilter')),
        select('search-period', 'period', Object.keys(PERIODS), t('searchPeriod')),
        text('search-adapter', 'adapter', t('searchAdapter')),
        text('search-tag', 'tag', t('tag')),
        select('search-order', 'order', ['newest', 'relevance'], t('searchOrder'))),
      this.summary, this.list, this.more);
  }

  /** Searches for `query` (empty: closes the search). */
  search(query) {
    this.query = query.trim();
    if (!this.active) { this.close(); return; }
    if (!this.list.isConnected) this.render();
    this.pending = this.run(false);
  }

  async run(append) {
    const seq = ++this.seq;
    const params = new URLSearchParams({ q: this.query, limit: '25', order: this.filters.order });
    if (this.filters.status !== 'all') params.set('status', this.filters.status);
    const days = PERIODS[this.filters.period];
    if (days) params.set('since', `${days}d`);
    if (this.filters.adapter) params.set('adapter', this.filters.adapter);
    if (this.filters.tag) params.set('tag', this.filters.tag);
    if (append && this.cursor) params.set('cursor', this.cursor);
    let page;
    try {
      page = await api.search(params);
    } catch (error) {
      if (seq !== this.seq) return;
      this.summary.textContent = t('error', { m: error.message });
      return;
    }
    if (seq !== this.seq) return;  // a newer search started meanwhile
    this.results = append ? [...this.results, ...page.results] : page.results;
    this.cursor = page.next_cursor ?? null;
    this.show(append);
  }

  show(append) {
    const focused = document.activeElement?.closest?.('#search-results');
    if (!append) clear(this.list);
    const start = append ? this.list.children.length : 0;
    for (const r of this.results.slice(start)) this.list.append(resultItem(r));
    this.summary.textContent = this.results.length ? t('searchCount', { n: this.results.length, more: this.cursor ? '+' : '' })
      : t('searchNothing', { q: this.query });
    this.more.hidden = !this.cursor;
    if (!append) announce(this.summary.textContent);
    if (append && focused) this.list.children[start]?.querySelector('a')?.focus();
  }

  /** Enter in the search box: the first result. */
  openFirst() {
    const first = this.list.querySelector('a.search-result');
    if (!first) return false;
    location.hash = first.getAttribute('href');
    first.focus();
    return true;
  }

  close() {
    this.query = '';
    this.seq += 1;
    this.results = [];
    clear(this.list);
    this.onClose?.();
  }
}

function resultItem(r) {
  const href = r.message ? `#/c/${r.conversation}/m/${r.message}` : `#/c/${r.conversation}`;
  const what = r.matched === 'message' ? t(r.direction ?? 'inbound') : t(`matched_${r.matched}`);
  return el('li', {},
    el('a', { href, class: 'search-result', dataset: { conversation: String(r.conversation), message: r.message ? String(r.message) : '', matched: r.matched } },
      el('span', { class: 'row-main' },
        el('span', { class: 'customer-name' }, r.customer?.name || t('unnamed')),
        r.adapter ? el('span', { class: 'badge channel' }, r.adapter) : null,
        el('span', { class: 'badge' }, what),
        r.status !== 'open' ? el('span', { class: 'badge status' }, t(r.status)) : null),
      el('span', { class: 'snippet' }, snippet(r.snippet)),
      el('span', { class: 'row-meta' },
        el('span', { class: 'reference' }, r.reference),
        el('time', { datetime: r.created_at }, dateTime(r.created_at)))));
}

/** The parts as text nodes, the matches in <mark>. */
export function snippet(parts) {
  return (parts ?? []).map((p) => (p.match ? el('mark', {}, p.text) : document.createTextNode(p.text)));
}
