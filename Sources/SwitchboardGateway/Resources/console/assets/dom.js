// Builds DOM nodes. Strings always become text (textContent / text nodes), never markup, so
// anything a customer wrote is shown as the characters they typed.

/** el('a', {href: '#', class: 'x', onclick: fn}, 'text', childNode, …) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Says something to screen readers without moving focus. */
export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  // A separate task, so the same text twice is still announced.
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Shows an error in the page's alert region (read out at once). */
export function showError(text) {
  const region = document.getElementById('alerts');
  region.replaceChildren(el('p', { class: 'error' }, text, ' ', el('button', {
    type: 'button', class: 'link', 'aria-label': '×', onclick: () => region.replaceChildren(),
  }, '×')));
}

export function clearError() {
  document.getElementById('alerts').replaceChildren();
}

let ids = 0;
export function uid(prefix) { ids += 1; return `${prefix}-${ids}`; }
