// Desktop notifications (the browser's Notification API): a new message of one's own customer, a
// new assignment, an SLA warning. Permission is asked once per agent in this browser; after that
// only the header button asks again, and only while the browser has not been answered.

const supported = () => typeof window.Notification === 'function';

export function permission() {
  return supported() ? window.Notification.permission : 'unsupported';
}

/** Asks for permission unless this agent was already asked in this browser. */
export async function askOnce(agent) {
  const key = `sb.notify.asked.${agent}`;
  let asked = false;
  try { asked = localStorage.getItem(key) === '1'; } catch { /* ask */ }
  if (asked || permission() !== 'default') return permission();
  try { localStorage.setItem(key, '1'); } catch { /* asked this session */ }
  return ask();
}

export async function ask() {
  if (!supported()) return 'unsupported';
  try { return await window.Notification.requestPermission(); } catch { return permission(); }
}

/**
 * Shows a notification (text only: a notification renders no markup). Clicking it brings the
 * console forward on `conversation`. Nothing happens without permission.
 */
export function show(title, body, { tag, conversation } = {}) {
  if (permission() !== 'granted') return null;
  let note = null;
  try {
    note = new window.Notification(title, { body: String(body ?? '').slice(0, 200), tag, lang: document.documentElement.lang });
  } catch { return null; }
  if (conversation != null) {
    note.onclick = () => {
      window.focus();
      location.hash = `#/c/${conversation}`;
      note.close();
    };
  }
  return note;
}

/** Whether the agent is looking at `conversation` right now (then a notification adds nothing). */
export function looking(conversation) {
  return document.visibilityState === 'visible' && document.hasFocus() && location.hash.split('/m/')[0] === `#/c/${conversation}`;
}
