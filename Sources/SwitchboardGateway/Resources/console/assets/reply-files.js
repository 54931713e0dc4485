// Files and templates in the reply box: a file picker and drag-and-drop that upload each file at
// once (POST /api/v1/uploads) and show it as a chip; the limits of the channel the reply leaves
// through; and, where the channel has templates, a picker with the template's text filled in as
// the agent types its parameters.

import { ApiError, csrfHeader } from './api.js';
import { clear, el } from './dom.js';
import { t } from './i18n.js';

function size(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes % 1e6 === 0 ? 0 : 1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

async function upload(file) {
  let response;
  try {
    response = await fetch(`/api/v1/uploads?filename=${encodeURIComponent(file.name)}`, {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream', ...csrfHeader() },
    });
  } catch (error) {
    throw new ApiError(0, 'network', error.message);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.error?.code ?? `http_${response.status}`, data?.error?.message ?? response.statusText);
  return data;
}

export class ReplyFiles {
  /** `onError` shows what went wrong. */
  constructor(onError) {
    this.files = [];
    this.onError = onError;
    this.input = el('input', { type: 'file', id: 'reply-files', multiple: true, class: 'visually-hidden' });
    this.input.addEventListener('change', () => { this.add([...this.input.files]); this.input.value = ''; });
    this.pick = el('label', { for: 'reply-files', class: 'button secondary', id: 'reply-attach' }, t('attachFiles'));
    this.chips = el('ul', { class: 'file-chips', id: 'reply-file-chips', 'aria-label': t('attachedFiles') });
    this.limits = el('p', { class: 'hint', id: 'reply-file-limits' });
    this.templateSelect = el('select', { id: 'reply-template' });
    this.templateRow = el('div', { class: 'row template-row', id: 'reply-template-row', hidden: true },
      el('label', { for: 'reply-template' }, t('template')), this.templateSelect);
    this.params = el('div', { class: 'template-params', id: 'reply-template-params' });
    this.preview = el('p', { class: 'template-preview', id: 'reply-template-preview', hidden: true });
    this.templateSelect.addEventListener('change', () => this.showTemplate());
  }

  /** Files dropped anywhere on the reply form are attached. */
  attachTo(form) {
    for (const type of ['dragenter', 'dragover']) {
      form.addEventListener(type, (event) => { event.preventDefault(); form.classList.add('dropping'); });
    }
    form.addEventListener('dragleave', () => form.classList.remove('dropping'));
    form.addEventListener('drop', (event) => {
      event.preventDefault();
      form.classList.remove('dropping');
      this.add([...(event.dataTransfer?.files ?? [])]);
    });
  }

  nodes() { return [this.input, this.templateRow, this.params, this.preview, el('div', { class: 'row' }, this.pick, this.chips), this.limits]; }

  async add(files) {
    for (const file of files) {
      const chip = el('li', { class: 'file-chip uploading' }, `${file.name} (${size(file.size)})…`);
      this.chips.append(chip);
      try {
        const uploaded = await upload(file);
        this.files.push(uploaded);
        clear(chip).append(
          el('span', { class: 'file-name' }, uploaded.file_name), ` (${size(uploaded.size)}) `,
          el('button', { type: 'button', class: 'link', 'aria-label': t('removeFile', { f: uploaded.file_name }), onclick: () => {
            this.files = this.files.filter((f) => f !== uploaded);
            chip.remove();
          } }, '×'));
        chip.classList.remove('uploading');
        chip.dataset.upload = String(uploaded.id);
      } catch (error) {
        chip.remove();
        this.onError(error);
      }
    }
  }

  get uploading() { return this.chips.querySelector('.uploading') !== null; }

  references() { return this.files.map((f) => ({ upload: f.id })); }

  clear() {
    this.files = [];
    clear(this.chips);
    this.templateSelect.value = '';
    this.showTemplate();
  }

  /** What the channel takes, shown before anything is attached; and its templates, if any. */
  showChannel(channel) {
    const limits = channel?.attachments;
    if (!channel) {
      this.limits.textContent = '';
    } else if (!limits) {
      this.limits.textContent = t('filesTextOnly');
    } else {
      const kinds = limits.kinds.map((k) => t('filesKind', { l: k.label, s: size(k.max_bytes) }));
      const total = limits.max_total_bytes ? ' ' + t('filesTotal', { s: size(limits.max_total_bytes) }) : '';
      this.limits.textContent = `${t('filesPerReply', { n: limits.max_files })} ${kinds.join('; ')}.${total}`;
    }
    this.pick.hidden = !limits;
    const templates = channel?.templates ?? [];
    const chosen = this.templateSelect.value;
    clear(this.templateSelect).append(el('option', { value: '' }, t('noTemplate')),
      ...templates.map((tpl, i) => el('option', { value: String(i) }, `${tpl.name} (${tpl.language})`)));
    this.templates = templates;
    this.templateSelect.value = chosen && templates[Number(chosen)] ? chosen : '';
    this.templateRow.hidden = templates.length === 0;
    this.showTemplate();
  }

  /** The chosen template, or null. */
  get template() {
    const tpl = this.templates?.[Number(this.templateSelect.value)];
    if (this.templateSelect.value === '' || !tpl) return null;
    const parameters = [...this.params.querySelectorAll('input')].map((input) => input.value);
    return { name: tpl.name, language: tpl.language, parameters };
  }

  showTemplate() {
    const tpl = this.templateSelect.value === '' ? null : this.templates?.[Number(this.templateSelect.value)];
    clear(this.params);
    this.preview.hidden = !tpl;
    if (!tpl) return;
    for (let i = 1; i <= tpl.parameters; i += 1) {
      const input = el('input', { id: `template-param-${i}`, type: 'text', required: true });
      input.addEventListener('input', () => this.renderPreview(tpl));
      this.params.append(el('label', { for: `template-param-${i}` }, t('templateParam', { n: i })), input);
    }
    this.renderPreview(tpl);
  }

  renderPreview(tpl) {
    const values = [...this.params.querySelectorAll('input')].map((input) => input.value);
    const text = (tpl.text ?? `[${tpl.name}]`).replace(/\{\{(\d+)\}\}/g, (whole, n) => values[Number(n) - 1] || whole);
    this.preview.textContent = text;
  }
}
