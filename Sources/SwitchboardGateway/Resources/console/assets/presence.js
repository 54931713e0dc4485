// Collision detection, the console's half: it tells the gateway that this agent has a conversation
// open (`viewing`) or is writing a reply (`typing`), renews that well before it lapses, and says
// `left` when the conversation closes. Who else is there arrives as `presence.updated` events.
import { api } from './api.js';

/** After this long without a keystroke the agent counts as reading again, not typing. */
const TYPING_IDLE_MS = 15000;

export class PresenceAnnouncer {
  constructor(conversation, onViewers) {
    this.conversation = conversation;
    this.onViewers = onViewers;
    this.state = null;
    this.renewMs = 10000;
    this.renewTimer = null;
    this.idleTimer = null;
    this.stopped = false;
    this.unload = () => this.stop(true);
    window.addEventListener('pagehide', this.unload);
  }

  start() { this.announce('viewing'); }

  /** Called on every keystroke in the reply box. */
  typing() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.announce('viewing'), TYPING_IDLE_MS);
    if (this.state !== 'typing') this.announce('typing');
  }

  /** The reply was sent or emptied: back to reading. */
  doneTyping() {
    clearTimeout(this.idleTimer);
    if (this.state === 'typing') this.announce('viewing');
  }

  async announce(state) {
    if (this.stopped) return;
    this.state = state;
    clearTimeout(this.renewTimer);
    try {
      const answer = await api.presence(this.conversation, state);
      // Renew at a third of the lifetime: one lost request changes nothing.
      if (answer?.expires_in) this.renewMs = Math.max(500, (answer.expires_in * 1000) / 3);
      if (!this.stopped) this.onViewers?.(answer.viewers ?? []);
    } catch { /* best effort: the next renewal tries again */ }
    if (this.stopped) return;
    clearTimeout(this.renewTimer);  // two announcements in flight leave one timer
    this.renewTimer = setTimeout(() => this.announce(this.state), this.renewMs);
  }

  /** Leaves the conversation (on closing it, or as the page unloads). */
  stop(unloading = false) {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.idleTimer);
    window.removeEventListener('pagehide', this.unload);
    api.presence(this.conversation, 'left', unloading).catch(() => { /* it lapses by itself */ });
  }
}
