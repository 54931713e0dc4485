// Saved replies in the reply box: typing `/` (at the start or after a space) and a shortcut lists the
// matching saved replies; Enter or Tab (or a click) puts the chosen one, filled in for this
// conversation by the gateway, in place of what was typed, for the agent to edit before sending.
// A value the gateway could not fill stays as a visible gap (⟦customer.name⟧), listed under the box;
// the reply cannot be sent while one is left.
import { api } from './api.js';
import { el, announce } from './dom.js';
import { t } from './i18n.js';

const GAP = /⟦([^⟧]*)⟧/g;

export class SavedReplies {
  constructor(box, conversation, { slot, onChange } = {}) {
    this.box = box;
    this.conversation = conversation;
    this.onChange = onChange;
    this.list = null;
    this.matches = [];
    this.active = 0;
    this.trigger = null;  // { start, end, query }: the "/shortcut" being typed
    this.picker = el('ul', { id: 'saved-reply-picker', class: 'saved-reply-picker', role: 'listbox', 'aria-label': t('savedReplies'), hidden: true });
    this.missing = el('p', { id: 'saved-reply-missing', class: 'hint warning', role: 'status', hidden: true });
    this.button = el('button', {
      type: 'button', class: 'secondary small', id: 'saved-replies-button', 'aria-haspopup': 'listbox',
      onclick: () => this.openAll(),
    }, t('savedRepliesButton'));
    slot?.replaceChildren(this.button);
    if (slot) slot.hidden = false;
    box.setAttribute('aria-autocomplete', 'list');
    box.setAttribute('aria-controls', 'saved-reply-picker');
    box.addEventListener('input', () => this.onInput());
    box.addEventListener('keydown', (event) => this.onKey(event));
    box.addEventListener('blur', () => setTimeout(() => { if (!this.picker.contains(document.activeElement)) this.close(); }, 150));
  }

  /** The nodes to place under the reply box. */
  nodes() { return [this.picker, this.missing]; }

  async load() {
    if (!this.list) {
      try { this.list = (await api.cannedResponses()).canned_responses; } catch { this.list = []; }
    }
    return this.list;
  }

  /** The "/word" right before the caret, if the agent is typing one. */
  triggerAtCaret() {
    const caret = this.box.selectionStart;
    if (caret !== this.box.selectionEnd) return null;
    const before = this.box.value.slice(0, caret);
    const match = before.match(/(^|\s)\/([\p{L}\p{N}_-]*)$/u);
    if (!match) return null;
    return { start: caret - match[2].length - 1, end: caret, query: match[2].toLowerCase() };
  }

  async onInput() {
    this.showGaps();
    const trigger = this.triggerAtCaret();
    if (!trigger) { this.close(); return; }
    this.trigger = trigger;
    const list = await this.load();
    if (this.triggerAtCaret()?.start !== trigger.start) return;  // typed on meanwhile
    this.show(list.filter((r) => r.shortcut.startsWith(trigger.query) || r.title.toLowerCase().includes(trigger.query)));
  }

  async openAll() {
    this.trigger = null;
    this.show(await this.load());
    this.box.focus();
  }

  show(matches) {
    this.matches = matches.slice(0, 12);
    this.active = 0;
    if (!this.matches.length) {
      this.picker.replaceChildren(el('li', { class: 'empty', role: 'option', 'aria-disabled': 'true' }, t('savedRepliesNone')));
    } else {
      this.picker.replaceChildren(...this.matches.map((r, i) => el('li', {
        role: 'option', id: `saved-reply-${r.id}`, class: 'saved-reply', dataset: { shortcut: r.shortcut, id: String(r.id) },
        'aria-selected': String(i === this.active),
        onmousedown: (event) => { event.preventDefault(); this.insert(r); },
      }, el('span', { class: 'shortcut' }, `/${r.shortcut}`), ' ', el('span', { class: 'title' }, r.title),
      r.language ? el('span', { class: 'badge' }, r.language) : null,
      r.scope !== 'personal' ? el('span', { class: 'badge scope' }, r.scope === 'everyone' ? t('scopeEveryone') : r.scope.replace('team:', t('scopeTeam'))) : null)));
    }
    this.picker.hidden = false;
    this.highlight();
  }

  highlight() {
    [...this.picker.querySelectorAll('li.saved-reply')].forEach((li, i) => li.setAttribute('aria-selected', String(i === this.active)));
    const current = this.matches[this.active];
    if (current) this.box.setAttribute('aria-activedescendant', `saved-reply-${current.id}`);
    else this.box.removeAttribute('aria-activedescendant');
  }

  close() {
    this.picker.hidden = true;
    this.matches = [];
    this.trigger = null;
    this.box.removeAttribute('aria-activedescendant');
  }

  get open() { return !this.picker.hidden; }

  onKey(event) {
    if (!this.open) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const n = this.matches.length;
      if (n) this.active = (this.active + (event.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.highlight();
    } else if ((event.key === 'Enter' || event.key === 'Tab') && !event.ctrlKey && !event.metaKey && this.matches.length) {
      event.preventDefault();
      this.insert(this.matches[this.active]);
    } else if (event.key === 'Escape') {
      event.preventDefault();  // closes the list, keeps the box
      this.close();
    }
  }

  /** Fills `response` in for this conversation and puts it where the "/shortcut" was (or at the caret). */
  async insert(response) {
    const trigger = this.trigger ?? { start: this.box.selectionStart, end: this.box.selectionEnd };
    this.close();
    let rendered;
    try {
      rendered = await api.renderCannedResponse(response.id, this.conversation);
    } catch (error) {
      this.missing.textContent = t('error', { m: error.message });
      this.missing.hidden = false;
      return;
    }
    const value = this.box.value;
    this.box.value = value.slice(0, trigger.start) + rendered.text + value.slice(trigger.end);
    const caret = trigger.start + rendered.text.length;
    this.box.focus();
    // The first gap is selected, so typing fills it; otherwise the caret goes after the text.
    const gap = this.box.value.indexOf('⟦', trigger.start);
    if (gap >= 0 && gap < caret) this.box.setSelectionRange(gap, this.box.value.indexOf('⟧', gap) + 1);
    else this.box.setSelectionRange(caret, caret);
    this.box.dispatchEvent(new Event('input', { bubbles: true }));
    announce(t('savedReplyInserted', { s: response.title }));
  }

  /** The gaps left in the box, shown under it; an empty list means it can be sent. */
  showGaps() {
    const gaps = gapsIn(this.box.value);
    this.missing.hidden = gaps.length === 0;
    this.missing.textContent = gaps.length ? t('savedReplyMissing', { f: gaps.join(', ') }) : '';
    this.onChange?.(gaps);
    return gaps;
  }
}

/** The unfilled gaps of a text (`⟦owner.name⟧` → "owner.name"). */
export function gapsIn(text) {
  return [...String(text).matchAll(GAP)].map((m) => m[1]);
}
