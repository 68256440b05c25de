// Building DOM without HTML strings: text always goes in as text nodes, never as markup.

/**
 * h('button', {class: 'x', type: 'button', on: {click: f}}, 'label', child, ...) → an element.
 * Attributes are set one by one; `on` attaches listeners; children are nodes or strings (as text), null skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else if (/^on/i.test(k)) throw new Error('event handlers go in "on"');
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** 1234567 → "1.2 MB" (decimal units, as Ollama prints sizes). */
export function bytes(n) {
  if (n === null || n === undefined || isNaN(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return (i === 0 ? String(v) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + units[i];
}

/** A time from now: "in 4 minutes", "2 hours ago". */
export function relative(iso) {
  const t = Date.parse(iso);
  if (isNaN(t)) return '';
  const s = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(s);
  const [n, unit] = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute']
    : abs < 86400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86400), 'day'];
  const text = n + ' ' + unit + (n === 1 ? '' : 's');
  return s >= 0 ? 'in ' + text : text + ' ago';
}

let toastTimer;
/** A short message at the bottom of the window. */
export function toast(message, error = false) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.classList.toggle('error', error);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, error ? 6000 : 3000);
}

/**
 * A modal dialog (native <dialog>: focus kept inside, Esc cancels). Resolves to the input's value (or true when
 * there is no input) on OK, null on cancel.
 */
export function dialog({title, body = [], input = null, value = '', ok = 'OK', cancel = 'Cancel', danger = false}) {
  const d = document.getElementById('dialog');
  document.getElementById('dialog-title').textContent = title;
  append(clear(document.getElementById('dialog-body')), [body]);
  const label = document.getElementById('dialog-input-label');
  const field = document.getElementById('dialog-input');
  label.hidden = input === null;
  document.getElementById('dialog-input-caption').textContent = input || '';
  field.value = value;
  field.required = input !== null;
  const okButton = document.getElementById('dialog-ok');
  okButton.textContent = ok;
  okButton.className = danger ? 'danger' : 'primary';
  const cancelButton = document.getElementById('dialog-cancel');
  cancelButton.textContent = cancel;
  cancelButton.hidden = cancel === null;
  cancelButton.onclick = () => d.close('cancel');
  return new Promise(resolve => {
    d.addEventListener('close', () => {
      const accepted = d.returnValue === 'ok';
      resolve(accepted ? (input === null ? true : field.value.trim()) : null);
    }, {once: true});
    d.returnValue = '';
    d.showModal();
    (input === null ? (danger ? cancelButton : okButton) : field).focus();
  });
}
