// UI text in English and Spanish: the browser's language, unless the agent chose one in the header
// (kept per agent in this browser's localStorage).
const en = {
  title: 'Switchboard',
  skip: 'Skip to content',
  signInTitle: 'Sign in to the agent console',
  agentId: 'Agent id',
  password: 'Password',
  signIn: 'Sign in',
  orToken: 'Or sign in with your API token',
  token: 'API token',
  signInToken: 'Sign in with token',
  code: 'Code from your authenticator app (or a recovery code)',
  sso: 'Sign in with single sign-on',
  ssoFailed: 'Single sign-on did not sign you in: {m}',
  signOut: 'Sign out',
  inbox: 'Inbox',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Disconnected',
  statusFilter: 'Status',
  open: 'Open', resolved: 'Resolved', all: 'All', pending: 'Pending', merged: 'Merged',
  scopeFilter: 'Whose',
  mine: 'Mine', everyone: 'Everyone', escalations: 'Escalations', breached: 'SLA breaches',
  suggestions: 'Suggestions', noSuggestions: 'No suggestions yet.', openConversation: 'conversation {id}',
  noConversations: 'No conversations here.',
  unnamed: 'Unnamed customer',
  waiting: 'waiting {t}',
  due: 'due {t}',
  overdue: 'overdue {t}',
  callbackDue: 'call back {t}',
  escalated: 'Escalated',
  priority_low: 'Low priority', priority_high: 'High priority', priority_urgent: 'Urgent',
  slaPolicy: 'SLA',
  back: '← Back to inbox',
  thread: 'Conversation',
  customerCard: 'Customer',
  identities: 'Identities',
  contacts: 'Contacts',
  contactsTotal: 'Total',
  contactsLast30: 'Last 30 days',
  perChannel: 'Per channel',
  owner: 'Owner', assignee: 'Assignee', nobody: 'nobody',
  context: 'Data from our systems',
  noContext: 'No context providers answered.',
  ctx_ok: 'ok', ctx_stale: 'stale', ctx_pending: 'pending', ctx_timeout: 'timed out', ctx_error: 'error',
  inbound: 'Customer', outbound: 'Reply', note: 'Internal note', event: 'Event',
  delivery_queued: 'queued', delivery_sent: 'sent', delivery_delivered: 'delivered', delivery_failed: 'failed',
  attempts: '{n} attempts',
  retry: 'Retry',
  attachments: 'Attachments',
  not_stored: 'not stored',
  fetching: 'fetching…',
  fetch_failed: 'could not be fetched: {r}',
  location: 'Location', map: 'map', contact: 'Contact', reactions: 'Reactions',
  media_image: 'Photo', media_voice: 'Voice message', media_audio: 'Audio', media_video: 'Video', media_sticker: 'Sticker',
  reply: 'Reply to the customer',
  replyVia: 'Send through',
  replyLeaves: 'This reply leaves through {a}.',
  replyBlocked: 'It cannot go out there now: {r}',
  replyWindow: 'Reply window: {h} h left.',
  replyMax: 'At most {n} characters.',
  replyDefault: '{a} (where the customer last wrote)',
  send: 'Send reply',
  sent: 'Reply queued.',
  addNote: 'Internal note',
  saveNote: 'Add note',
  escalateReason: 'Reason to escalate',
  escalate: 'Escalate to a supervisor',
  resolve: 'Resolve',
  tag: 'Tag',
  addTag: 'Add tag',
  tags: 'Tags',
  mergeOther: 'Other customer id to merge into this one',
  merge: 'Merge customers',
  mergeConfirm: 'Merge customer {o} into this customer? A supervisor can undo it.',
  actions: 'Actions',
  reference: 'Reference',
  newMessage: 'New message from {n}',
  deliveryChanged: 'Reply {s}',
  forbidden: 'You cannot open this conversation: {m}',
  notFound: 'This conversation does not exist.',
  error: 'Error: {m}',
  loading: 'Loading…',
  done: 'Done.',
  you: 'you',
  // the workspace (three panes)
  searchLabel: 'Search messages, customers, tags and references',
  searchPlaceholder: 'Search everything (/)',
  searchResults: 'Search results',
  searchClose: 'Back to the inbox',
  searchFilters: 'Filters',
  searchPeriod: 'When',
  searchAdapter: 'Channel (adapter id)',
  searchOrder: 'Order',
  search_status_all: 'Any status', search_status_open: 'Open', search_status_pending: 'Pending', search_status_resolved: 'Resolved',
  search_period_any: 'Any time', search_period_d7: 'Last 7 days', search_period_d30: 'Last 30 days',
  search_period_d90: 'Last 90 days', search_period_d365: 'Last year',
  search_order_newest: 'Newest first', search_order_relevance: 'Most relevant first',
  searchCount: '{n}{more} results',
  searchNothing: 'Nothing found for “{q}”.',
  searchMore: 'More results',
  matched_customer: 'Customer', matched_reference: 'Reference',
  savedReplies: 'Saved replies',
  savedRepliesButton: 'Saved replies (/)',
  savedRepliesNone: 'No saved reply matches.',
  savedReplyInserted: 'Saved reply “{s}” inserted: check it before sending.',
  savedReplyMissing: 'Fill in before sending: {f}',
  savedReplyFillIn: 'This reply still has gaps of a saved reply: {f}. Fill them in before sending.',
  scopeEveryone: 'everyone', scopeTeam: 'team ',
  replyHint: 'Type / and a shortcut to insert a saved reply.',
  noteHint: 'Type @ and an agent id (e.g. @luis) to ask a colleague: they are told and may read this conversation.',
  mentions: 'Mentions', noMentions: 'Nobody has mentioned you yet.', mentionBy: '{a} mentioned you · {n}',
  notifyMention: '{a} mentioned you in a note',
  searchNoMatch: 'No conversation matches “{q}”.',
  myStatus: 'My status',
  status_available: 'Available', status_away: 'Away', status_offline: 'Offline',
  statusChanged: 'You are now {s}.',
  language: 'Language',
  notifyOn: 'Turn on desktop notifications',
  notifyNewMessage: 'New message from {n}',
  notifyAssigned: 'Conversation assigned to you',
  notifySlaWarning: 'Reply due soon',
  notifySlaWarningBody: '{n} is waiting; the reply is due {t}.',
  shortcuts: 'Keyboard shortcuts',
  shortcutsButton: 'Shortcuts (?)',
  close: 'Close',
  key_j: 'Next conversation', key_k: 'Previous conversation', key_r: 'Reply', key_n: 'Internal note',
  key_e: 'Escalate', key_slash: 'Search', key_help: 'This list of shortcuts',
  key_send: 'Send the reply or note you are writing', key_escape: 'Leave the text box',
  unread: 'Unread',
  unreadCount: '{n} unread',
  pickConversation: 'Choose a conversation on the left, or press j to open the first one (? lists the shortcuts).',
  viewing: '{n} is viewing this conversation',
  typing: '{n} is typing a reply…',
  collision: '{n} replied after you began typing: “{b}”',
  collisionSendAnyway: 'Send anyway',
  collisionHint: 'Read their reply first; press Send anyway if yours is still needed.',
};

const es = {
  title: 'Switchboard',
  skip: 'Saltar al contenido',
  signInTitle: 'Acceso a la consola de agentes',
  agentId: 'Identificador de agente',
  password: 'Contraseña',
  signIn: 'Entrar',
  orToken: 'O entra con tu token de API',
  token: 'Token de API',
  signInToken: 'Entrar con token',
  code: 'Código de tu aplicación de autenticación (o un código de recuperación)',
  sso: 'Entrar con inicio de sesión único',
  ssoFailed: 'El inicio de sesión único no te ha dejado entrar: {m}',
  signOut: 'Salir',
  inbox: 'Bandeja',
  live: 'En directo',
  reconnecting: 'Reconectando…',
  offline: 'Desconectado',
  statusFilter: 'Estado',
  open: 'Abiertas', resolved: 'Resueltas', all: 'Todas', pending: 'Pendientes', merged: 'Fusionada',
  scopeFilter: 'De quién',
  mine: 'Mías', everyone: 'Todos', escalations: 'Escaladas', breached: 'Plazos incumplidos',
  suggestions: 'Sugerencias', noSuggestions: 'Todavía no hay sugerencias.', openConversation: 'conversación {id}',
  noConversations: 'No hay conversaciones.',
  unnamed: 'Cliente sin nombre',
  waiting: 'esperando {t}',
  due: 'vence {t}',
  overdue: 'vencida {t}',
  callbackDue: 'devolver llamada {t}',
  escalated: 'Escalada',
  priority_low: 'Prioridad baja', priority_high: 'Prioridad alta', priority_urgent: 'Urgente',
  slaPolicy: 'SLA',
  back: '← Volver a la bandeja',
  thread: 'Conversación',
  customerCard: 'Cliente',
  identities: 'Identidades',
  contacts: 'Contactos',
  contactsTotal: 'Total',
  contactsLast30: 'Últimos 30 días',
  perChannel: 'Por canal',
  owner: 'Responsable', assignee: 'Asignada a', nobody: 'nadie',
  context: 'Datos de nuestros sistemas',
  noContext: 'Ningún proveedor de contexto respondió.',
  ctx_ok: 'correcto', ctx_stale: 'desactualizado', ctx_pending: 'pendiente', ctx_timeout: 'sin respuesta a tiempo', ctx_error: 'error',
  inbound: 'Cliente', outbound: 'Respuesta', note: 'Nota interna', event: 'Evento',
  delivery_queued: 'en cola', delivery_sent: 'enviada', delivery_delivered: 'entregada', delivery_failed: 'fallida',
  attempts: '{n} intentos',
  retry: 'Reintentar',
  attachments: 'Adjuntos',
  not_stored: 'no guardado',
  fetching: 'descargando…',
  fetch_failed: 'no se pudo descargar: {r}',
  location: 'Ubicación', map: 'mapa', contact: 'Contacto', reactions: 'Reacciones',
  media_image: 'Foto', media_voice: 'Mensaje de voz', media_audio: 'Audio', media_video: 'Vídeo', media_sticker: 'Sticker',
  reply: 'Responder al cliente',
  replyVia: 'Enviar por',
  replyLeaves: 'Esta respuesta sale por {a}.',
  replyBlocked: 'Ahora no puede salir por ahí: {r}',
  replyWindow: 'Ventana de respuesta: quedan {h} h.',
  replyMax: 'Como máximo {n} caracteres.',
  replyDefault: '{a} (donde escribió el cliente por última vez)',
  send: 'Enviar respuesta',
  sent: 'Respuesta en cola.',
  addNote: 'Nota interna',
  saveNote: 'Añadir nota',
  escalateReason: 'Motivo para escalar',
  escalate: 'Escalar a un supervisor',
  resolve: 'Resolver',
  tag: 'Etiqueta',
  addTag: 'Añadir etiqueta',
  tags: 'Etiquetas',
  mergeOther: 'Id del otro cliente a fusionar con este',
  merge: 'Fusionar clientes',
  mergeConfirm: '¿Fusionar el cliente {o} con este? Un supervisor puede deshacerlo.',
  actions: 'Acciones',
  reference: 'Referencia',
  newMessage: 'Nuevo mensaje de {n}',
  deliveryChanged: 'Respuesta {s}',
  forbidden: 'No puedes abrir esta conversación: {m}',
  notFound: 'Esta conversación no existe.',
  error: 'Error: {m}',
  loading: 'Cargando…',
  done: 'Hecho.',
  you: 'tú',
  searchLabel: 'Buscar mensajes, clientes, etiquetas y referencias',
  searchPlaceholder: 'Buscar en todo (/)',
  searchResults: 'Resultados de la búsqueda',
  searchClose: 'Volver a la bandeja',
  searchFilters: 'Filtros',
  searchPeriod: 'Cuándo',
  searchAdapter: 'Canal (id del adaptador)',
  searchOrder: 'Orden',
  search_status_all: 'Cualquier estado', search_status_open: 'Abiertas', search_status_pending: 'Pendientes', search_status_resolved: 'Resueltas',
  search_period_any: 'Cuando sea', search_period_d7: 'Últimos 7 días', search_period_d30: 'Últimos 30 días',
  search_period_d90: 'Últimos 90 días', search_period_d365: 'Último año',
  search_order_newest: 'Más recientes primero', search_order_relevance: 'Más relevantes primero',
  searchCount: '{n}{more} resultados',
  searchNothing: 'No se encontró nada para «{q}».',
  searchMore: 'Más resultados',
  matched_customer: 'Cliente', matched_reference: 'Referencia',
  savedReplies: 'Respuestas guardadas',
  savedRepliesButton: 'Respuestas guardadas (/)',
  savedRepliesNone: 'Ninguna respuesta guardada coincide.',
  savedReplyInserted: 'Respuesta guardada «{s}» insertada: revísala antes de enviar.',
  savedReplyMissing: 'Completa antes de enviar: {f}',
  savedReplyFillIn: 'A esta respuesta le faltan datos de una respuesta guardada: {f}. Complétalos antes de enviar.',
  scopeEveryone: 'todos', scopeTeam: 'equipo ',
  replyHint: 'Escribe / y un atajo para insertar una respuesta guardada.',
  noteHint: 'Escribe @ y el id de un agente (p. ej. @luis) para pedir ayuda: se le avisa y puede leer esta conversación.',
  mentions: 'Menciones', noMentions: 'Nadie te ha mencionado todavía.', mentionBy: '{a} te mencionó · {n}',
  notifyMention: '{a} te mencionó en una nota',
  searchNoMatch: 'Ninguna conversación coincide con «{q}».',
  myStatus: 'Mi estado',
  status_available: 'Disponible', status_away: 'Ausente', status_offline: 'Desconectado',
  statusChanged: 'Ahora estás {s}.',
  language: 'Idioma',
  notifyOn: 'Activar avisos de escritorio',
  notifyNewMessage: 'Nuevo mensaje de {n}',
  notifyAssigned: 'Te han asignado una conversación',
  notifySlaWarning: 'Respuesta a punto de vencer',
  notifySlaWarningBody: '{n} está esperando; la respuesta vence {t}.',
  shortcuts: 'Atajos de teclado',
  shortcutsButton: 'Atajos (?)',
  close: 'Cerrar',
  key_j: 'Conversación siguiente', key_k: 'Conversación anterior', key_r: 'Responder', key_n: 'Nota interna',
  key_e: 'Escalar', key_slash: 'Buscar', key_help: 'Esta lista de atajos',
  key_send: 'Enviar la respuesta o nota que escribes', key_escape: 'Salir del cuadro de texto',
  unread: 'Sin leer',
  unreadCount: '{n} sin leer',
  pickConversation: 'Elige una conversación a la izquierda, o pulsa j para abrir la primera (? muestra los atajos).',
  viewing: '{n} está viendo esta conversación',
  typing: '{n} está escribiendo una respuesta…',
  collision: '{n} respondió después de que empezaras a escribir: «{b}»',
  collisionSendAnyway: 'Enviar de todos modos',
  collisionHint: 'Lee primero su respuesta; pulsa Enviar de todos modos si la tuya sigue haciendo falta.',
};

const dictionaries = { en, es };

/** The languages the console speaks, with their own names. */
export const LANGUAGES = [{ code: 'en', name: 'English' }, { code: 'es', name: 'Español' }];

/** The browser's preference: Spanish for any `es-*`, English otherwise. */
export const browserLang = (navigator.languages?.[0] || navigator.language || 'en').toLowerCase().startsWith('es') ? 'es' : 'en';

// A live binding: modules that import `lang` see the switch.
export let lang = browserLang;
let relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });

/** Switches the console's language (the caller re-renders). */
export function setLang(code) {
  lang = code in dictionaries ? code : browserLang;
  relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  document.documentElement.lang = lang;
}

const storageKey = (agent) => `sb.lang.${agent}`;

/** The language `agent` chose in this browser, else the browser's. */
export function langFor(agent) {
  try { return localStorage.getItem(storageKey(agent)) || browserLang; } catch { return browserLang; }
}

/** Remembers `agent`'s choice in this browser (no server storage). */
export function rememberLang(agent, code) {
  try { localStorage.setItem(storageKey(agent), code); } catch { /* private mode: this session only */ }
}

/** The text for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, vars = {}) {
  const text = dictionaries[lang][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** "in 3 hours", "5 minutes ago" … */
export function fromNow(date, now = Date.now()) {
  const seconds = (new Date(date).getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(Math.round(seconds), 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/** "5 min", "3 h" … for how long something has lasted. */
export function duration(since, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - new Date(since).getTime()) / 60000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} d`;
}

export function dateTime(date) {
  return new Date(date).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}
