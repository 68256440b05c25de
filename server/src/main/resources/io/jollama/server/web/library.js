// Library: the catalog of the Ollama library (/api/gallery/search) with filters; pull or queue a tag from it.

import {get} from './api.js';
import {$, h, clear, toast} from './dom.js';
import {startPull} from './downloads.js';

const PER_PAGE = 24;
let page = 1;
let seq = 0;

function query() {
  const p = new URLSearchParams();
  const add = (k, v) => { if (v) p.set(k, v); };
  add('q', $('#lib-q').value.trim());
  add('capability', $('#lib-capability').value);
  add('input', $('#lib-input').value);
  add('max_size', $('#lib-max-size').value);
  add('min_context', $('#lib-min-context').value);
  add('sort', $('#lib-sort').value);
  if ($('#lib-installed').checked) p.set('installed', 'true');
  if ($('#lib-queued').checked) p.set('queued', 'true');
  p.set('page', String(page));
  p.set('per_page', String(PER_PAGE));
  return p;
}

export async function search() {
  const mine = ++seq;
  const params = query();
  const status = $('#lib-status');
  status.classList.remove('error');
  let r;
  try {
    r = await get('/api/gallery/search?' + params);
  } catch (e) {
    status.textContent = 'Search failed: ' + e.message;
    status.classList.add('error');
    return;
  }
  if (mine !== seq) return; // a newer search answered first
  status.textContent = '';
  const pages = Math.max(1, Math.ceil(r.total / r.per_page));
  $('#lib-total').textContent = r.total === 1 ? '1 model' : r.total + ' models';
  $('#lib-page').textContent = 'page ' + r.page + ' of ' + pages;
  $('#lib-prev').disabled = r.page <= 1;
  $('#lib-next').disabled = r.page >= pages;
  const box = clear($('#lib-results'));
  // what these results answer (tests and scripts can wait for it)
  box.dataset.q = params.get('q') || '';
  box.dataset.capability = params.get('capability') || '';
  for (const m of r.models) box.append(card(m));
  if (!r.models.length) box.append(h('p', {class: 'muted'}, 'No model matches.'));
}

function card(m) {
  const tags = m.tags || [];
  const cloud = tags.length > 0 && tags.every(t => !t.size_num);
  return h('article', {class: 'lib-model', dataset: {model: m.name}},
    h('h3', null, h('span', {class: 'lib-name'}, m.name),
      m.installed ? h('span', {class: 'badge installed'}, 'installed') : null,
      m.queued ? h('span', {class: 'badge queued'}, 'queued') : null),
    m.description ? h('p', {class: 'desc'}, m.description) : null,
    h('div', null, (m.capabilities || []).map(c => h('span', {class: 'badge'}, c)),
      (m.parameters || []).map(p => h('span', {class: 'badge'}, p))),
    h('div', {class: 'meta'}, [m.pull_str ? m.pull_str + ' pulls' : null, m.tag_count ? m.tag_count + ' tags' : null,
      m.updated ? 'updated ' + m.updated : null].filter(Boolean).join(' · ')),
    h('details', {class: 'lib-tags-box'}, h('summary', null, 'Tags (' + tags.length + ')' + (cloud ? ' — cloud only' : '')),
      h('ul', {class: 'lib-tags'}, tags.map(t => tagRow(t)))));
}

function tagRow(t) {
  const size = t.size_str || '';
  const pull = h('button', {type: 'button', class: 'small primary act-pull', disabled: !t.size_num || t.installed || null,
    title: 'Download now' + (size ? ' (' + size + ')' : '')}, 'Pull' + (size ? ' ' + size : ''));
  const queue = h('button', {type: 'button', class: 'small act-queue', disabled: !t.size_num || t.installed || t.queued || null,
    title: 'Download in the queue\'s window'}, 'Queue');
  const li = h('li', {class: 'lib-tag', dataset: {tag: t.name}},
    h('span', {class: 'tag-name mono'}, t.name,
      t.installed ? h('span', {class: 'badge installed'}, 'installed') : null,
      t.queued ? h('span', {class: 'badge queued'}, 'queued') : null),
    h('span', {class: 'tag-actions'}, pull, queue),
    h('span', {class: 'tag-meta'}, [size, t.context_window ? t.context_window + ' context' : null,
      (t.input_types || []).join(', '), t.updated_str].filter(Boolean).join(' · ')));
  const go = async asQueue => {
    pull.disabled = queue.disabled = true;
    try {
      const last = await startPull(t.name, {queue: asQueue, via: '/api/gallery/pull'});
      toast(last && last.message ? last.message : t.name + (asQueue ? ' queued' : ' installed'));
    } catch (e) {
      if (e.name !== 'AbortError') toast(t.name + ': ' + e.message, true);
    }
    search();
  };
  pull.addEventListener('click', () => {
    toast('Pulling ' + t.name + (size ? ' (' + size + ')' : '') + ': progress in Downloads');
    go(false);
  });
  queue.addEventListener('click', () => go(true));
  return li;
}

export function initLibrary() {
  $('#lib-form').addEventListener('submit', e => {
    e.preventDefault();
    page = 1;
    search();
  });
  for (const id of ['#lib-capability', '#lib-input', '#lib-max-size', '#lib-min-context', '#lib-sort', '#lib-installed', '#lib-queued']) {
    $(id).addEventListener('change', () => { page = 1; search(); });
  }
  let typing;
  $('#lib-q').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { page = 1; search(); }, 250);
  });
  $('#lib-prev').addEventListener('click', () => { page = Math.max(1, page - 1); search(); });
  $('#lib-next').addEventListener('click', () => { page++; search(); });
}
