// Keyboard shortcuts: one key each, ignored while the agent types in a text box (Escape leaves the
// box; Ctrl/⌘+Enter sends what is being written). `?` lists them in a dialog.
import { el } from './dom.js';
import { t } from './i18n.js';

export const SHORTCUTS = [
  ['j', 'key_j'], ['k', 'key_k'], ['r', 'key_r'], ['n', 'key_n'], ['e', 'key_e'],
  ['/', 'key_slash'], ['?', 'key_help'], ['Ctrl + Enter', 'key_send'], ['Esc', 'key_escape'],
];

function isTextEntry(node) {
  if (!(node instanceof Element)) return false;
  if (node.isContentEditable || node.tagName === 'TEXTAREA' || node.tagName === 'SELECT') return true;
  return node.tagName === 'INPUT' && !['button', 'submit', 'checkbox', 'radio', 'reset'].includes(node.type);
}

/**
 * Installs the shortcuts. `actions` maps a key to a function; it is read at each key press, so
 * the caller may change it as views come and go.
 */
export function installShortcuts(actions) {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const target = event.target;
    if (isTextEntry(target)) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && target.form) {
        event.preventDefault();
        target.form.requestSubmit();
      } else if (event.key === 'Escape' && !target.closest('dialog')) {
        event.preventDefault();
        target.blur();
        actions.afterEscape?.(target);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector('dialog[open]')) return;
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}

/** The dialog listing the shortcuts (opened with `?`, closed with Esc or its button). */
export function showShortcuts() {
  let dialog = document.getElementById('shortcuts-dialog');
  if (!dialog) {
    dialog = el('dialog', { id: 'shortcuts-dialog', 'aria-labelledby': 'shortcuts-title' });
    document.body.append(dialog);
  }
  const returnTo = document.activeElement;
  dialog.replaceChildren(
    el('h2', { id: 'shortcuts-title' }, t('shortcuts')),
    el('dl', { class: 'shortcuts' }, SHORTCUTS.flatMap(([key, label]) => [
      el('dt', {}, el('kbd', {}, key)), el('dd', {}, t(label))])),
    el('form', { method: 'dialog' }, el('button', { type: 'submit', id: 'shortcuts-close' }, t('close'))));
  dialog.addEventListener('close', () => returnTo?.focus?.(), { once: true });
  dialog.showModal();
  document.getElementById('shortcuts-close').focus();
}
