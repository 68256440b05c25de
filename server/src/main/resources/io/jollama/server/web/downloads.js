// Downloads: pulls with a live progress bar per layer (the NDJSON stream of /api/pull), the download queue
// (/api/queue), Hugging Face imports into it (/api/hf/queue) and the server's health (/api/health).

import {get, post, del, stream} from './api.js';
import {$, h, clear, bytes, relative, toast} from './dom.js';

const listeners = new Set();
/** Called with no argument whenever a pull or queue change may have changed what is installed or queued. */
export function onDownloadsChanged(fn) {
  listeners.add(fn);
}
const changed = () => listeners.forEach(fn => fn());

const active = new Map(); // model → its pull's view, while it streams

/**
 * Pulls `model` now (or queues it): `via` is /api/pull or the catalog's /api/gallery/pull. The progress is shown in
 * the Downloads page; resolves to the last line (status "success", or the queue's answer), rejects on failure.
 */
export async function startPull(model, {insecure = false, queue = false, via = '/api/pull'} = {}) {
  if (active.has(model)) throw new Error(model + ' is already being pulled');
  const view = h('div', {class: 'pull', dataset: {model}},
    h('div', {class: 'pull-head'}, h('strong', null, model), h('span', {class: 'pull-status'}, queue ? 'queueing…' : 'starting…')),
    h('div', {class: 'layers'}));
  const cancel = h('button', {type: 'button', class: 'small ghost act-cancel'}, 'Cancel');
  view.querySelector('.pull-head').append(cancel);
  $('#pulls').prepend(view);
  const controller = new AbortController();
  cancel.addEventListener('click', () => controller.abort());
  active.set(model, view);
  const status = view.querySelector('.pull-status');
  const layers = new Map();
  const body = {model, stream: true};
  if (insecure) body.insecure = true;
  if (queue) body.queue = true;
  try {
    const last = await stream(via, body, line => {
      if (line.digest && line.total) {
        let layer = layers.get(line.digest);
        if (!layer) {
          layer = {bar: h('progress', {max: line.total, value: 0, 'aria-label': 'layer ' + line.digest.slice(7, 19)}),
            text: h('span', {class: 'layer-text mono'})};
          layers.set(line.digest, layer);
          view.querySelector('.layers').append(h('div', {class: 'layer', dataset: {digest: line.digest}},
            h('span', {class: 'mono'}, line.digest.slice(7, 19)), layer.bar, layer.text));
        }
        layer.bar.max = line.total;
        layer.bar.value = line.completed || 0;
        layer.text.textContent = bytes(line.completed || 0) + ' / ' + bytes(line.total)
          + ' (' + Math.floor(100 * (line.completed || 0) / line.total) + '%)';
      }
      status.textContent = line.message || line.status || '';
    });
    if (last && last.status === 'success') {
      view.classList.add('done');
      status.textContent = 'success: ' + model + ' is installed';
    } else if (last && (last.status === 'queued' || last.status === 'already_queued')) {
      view.classList.add('done');
      status.textContent = last.message || last.status;
    }
    return last;
  } catch (e) {
    view.classList.add('failed');
    status.textContent = e.name === 'AbortError' ? 'cancelled (a later pull resumes where this one stopped)' : 'failed: ' + e.message;
    throw e;
  } finally {
    cancel.remove();
    active.delete(model);
    $('#pulls-clear').hidden = false;
    changed();
    refreshQueue();
  }
}

// ---------------------------------------------------------------- the queue

export async function refreshQueue() {
  let q;
  try {
    q = await get('/api/queue');
  } catch (e) {
    $('#queue-summary').textContent = 'Could not read the queue: ' + e.message;
    return;
  }
  const c = q.counts || {};
  const w = q.window || {};
  $('#queue-summary').textContent = (c.pending || 0) + ' pending · ' + (c.downloading || 0) + ' downloading · '
    + (c.completed || 0) + ' completed · ' + (c.failed || 0) + ' failed · window '
    + (w.setting ? w.setting + (w.open ? ' (open)' : ' (closed)') : 'always open');
  const list = clear($('#queue-list'));
  for (const e of q.queue || []) {
    const pct = e.total ? Math.floor(100 * e.completed / e.total) : 0;
    list.append(h('li', {dataset: {model: e.model, status: e.status}},
      h('div', null, h('strong', null, e.model), ' ', h('span', {class: 'badge ' + e.status}, e.status),
        e.type === 'hf' ? h('span', {class: 'badge'}, 'Hugging Face') : null,
        e.attempts ? h('span', {class: 'muted'}, ' attempts ' + e.attempts) : null,
        e.error ? h('div', {class: 'error'}, e.error) : null,
        h('div', {class: 'muted'}, 'added ' + relative(e.created_at))),
      e.status === 'pending'
        ? h('button', {type: 'button', class: 'small act-remove', on: {click: () => removeQueued(e.model)}}, 'Remove')
        : h('span'),
      e.total || e.status === 'downloading'
        ? h('div', {class: 'q-progress'}, h('progress', {max: e.total || 1, value: e.total ? e.completed : 0,
          'aria-label': 'download of ' + e.model}), h('span', {class: 'mono'},
          e.total ? bytes(e.completed) + ' / ' + bytes(e.total) + ' (' + pct + '%)' : 'starting'))
        : null));
  }
  if (!(q.queue || []).length) list.append(h('li', {class: 'muted empty'}, 'The queue is empty.'));
  const recent = clear($('#queue-recent'));
  for (const r of q.recent || []) {
    recent.append(h('li', {dataset: {model: r.model}}, h('span', {class: 'badge ' + r.status}, r.status), ' ', r.model,
      r.error ? h('span', {class: 'error'}, ' — ' + r.error) : null, h('span', {class: 'muted'}, ' ' + relative(r.updated_at))));
  }
  if (!(q.recent || []).length) recent.append(h('li', {class: 'muted'}, 'Nothing yet.'));
}

async function removeQueued(model) {
  try {
    await del('/api/queue', {name: model});
    toast('Removed ' + model + ' from the queue');
  } catch (e) {
    toast('Could not remove ' + model + ': ' + e.message, true);
  }
  await refreshQueue();
  changed();
}

async function runNow() {
  try {
    const r = await post('/api/queue/run', {});
    toast(r.message || 'processing the queue now');
  } catch (e) {
    toast('Could not start the queue: ' + e.message, true);
  }
  refreshQueue();
}

async function hfImport(e) {
  e.preventDefault();
  const status = $('#hf-status');
  status.classList.remove('error');
  const body = {repo_id: $('#hf-repo').value.trim()};
  if ($('#hf-quant').value.trim()) body.quant = $('#hf-quant').value.trim();
  if ($('#hf-name').value.trim()) body.name = $('#hf-name').value.trim();
  status.textContent = 'checking at Hugging Face…';
  try {
    const r = await post('/api/hf/queue', body);
    status.textContent = (r.message || r.status) + (r.size ? ' (' + bytes(r.size) + ')' : '');
  } catch (err) {
    status.textContent = err.message;
    status.classList.add('error');
  }
  refreshQueue();
  changed();
}

// ---------------------------------------------------------------- health

export async function refreshHealth() {
  const box = $('#health');
  let r;
  try {
    r = await get('/api/health');
  } catch (e) {
    box.replaceChildren(h('p', {class: 'error'}, 'The server does not answer: ' + e.message));
    return;
  }
  const c = r.checks || {};
  const state = s => h('span', {class: 'badge ' + (s === 'ok' || s === 'healthy' ? 'ok' : s === 'warning' || s === 'degraded' ? 'warn' : 'bad')}, s);
  const rows = [];
  if (c.server) rows.push(['Server', state(c.server.status)]);
  if (c.backend) rows.push(['Engine and store', [state(c.backend.status), ' ', c.backend.error
    || (c.backend.models + ' models, ' + c.backend.loaded + ' loaded')]]);
  if (c.disk) rows.push(['Disk', [state(c.disk.status), ' ', c.disk.used_percent !== undefined
    ? c.disk.used_percent + '% used, ' + (c.disk.free_gb !== undefined ? c.disk.free_gb + ' GB free' : '') + ' (threshold ' + c.disk.threshold + '%)'
    : (c.disk.error || '')]]);
  if (c.database) rows.push(['Database', [state(c.database.status), ' ', c.database.error || c.database.path || '']]);
  if (c.queue) rows.push(['Queue', (c.queue.window ? 'window ' + c.queue.window + (c.queue.window_open ? ' (open)' : ' (closed)') : 'no window')
    + (c.queue.downloading ? ', downloading ' + c.queue.downloading : '')]);
  box.replaceChildren(h('div', null, 'Overall: ', state(r.status)),
    h('dl', null, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
}

// ---------------------------------------------------------------- set-up

export function initDownloads() {
  $('#pull-form').addEventListener('submit', async e => {
    e.preventDefault();
    const model = $('#pull-name').value.trim();
    if (!model) return;
    try {
      await startPull(model, {insecure: $('#pull-insecure').checked, queue: $('#pull-queue').checked});
    } catch (err) {
      if (err.name !== 'AbortError') toast('Pull of ' + model + ' failed: ' + err.message, true);
    }
  });
  $('#queue-run').addEventListener('click', runNow);
  $('#pulls-clear').addEventListener('click', () => {
    for (const p of document.querySelectorAll('#pulls .pull.done, #pulls .pull.failed')) p.remove();
    $('#pulls-clear').hidden = true;
  });
  $('#queue-refresh').addEventListener('click', () => { refreshQueue(); refreshHealth(); });
  $('#hf-form').addEventListener('submit', hfImport);
}

let timer = null;
/** While the page is shown, the queue (with its progress) is read every two seconds. */
export function showDownloads(visible) {
  clearInterval(timer);
  timer = null;
  if (!visible) return;
  refreshQueue();
  refreshHealth();
  timer = setInterval(() => {
    if (!document.hidden) refreshQueue();
  }, 2000);
}
