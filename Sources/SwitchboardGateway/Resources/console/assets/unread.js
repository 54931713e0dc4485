// Unread markers: which customer messages this agent has had on screen, kept in this browser's
// localStorage per agent (no server storage). Times are the server's, so clocks never disagree.

const LIMIT = 2000;

export class ReadMarks {
  constructor(agent) {
    this.key = `sb.seen.${agent}`;
    // A Map keeps insertion order (an object would sort numeric ids), so the oldest go first.
    this.seen = new Map();
    try {
      const stored = JSON.parse(localStorage.getItem(this.key) || '[]');
      if (Array.isArray(stored)) this.seen = new Map(stored.filter((p) => Array.isArray(p) && p.length === 2));
    } catch { this.seen = new Map(); }
  }

  /** Unread: the latest customer-visible message is the customer's, and newer than what was seen. */
  isUnread(entry) {
    const last = entry.last;
    if (!last || last.direction !== 'inbound') return false;
    const seen = this.seen.get(Number(entry.conversation.id));
    return !seen || new Date(last.created_at) > new Date(seen);
  }

  /** Everything in `detail` up to its newest message has been on screen. */
  markSeen(detail) {
    const newest = detail.messages.reduce((max, m) => (!max || new Date(m.created_at) > new Date(max) ? m.created_at : max), null);
    const id = Number(detail.id);
    if (!newest || this.seen.get(id) === newest) return;
    this.seen.delete(id);
    this.seen.set(id, newest);
    for (const old of [...this.seen.keys()].slice(0, Math.max(0, this.seen.size - LIMIT))) this.seen.delete(old);
    try { localStorage.setItem(this.key, JSON.stringify([...this.seen])); } catch { /* full or private: this session only */ }
  }
}
