// Models: the local models (/api/tags) with their loaded state (/api/ps); details, copy, delete, unload, create.

import {get, post, del, stream} from './api.js';
import {$, h, clear, bytes, relative, toast, dialog} from './dom.js';
import {chatWith, refreshModels as refreshChatModels} from './chat.js';

export async function refreshModels() {
  const status = $('#models-status');
  let tags, ps;
  try {
    [tags, ps] = await Promise.all([get('/api/tags'), get('/api/ps')]);
  } catch (e) {
    status.textContent = 'Could not list the models: ' + e.message;
    status.classList.add('error');
    return;
  }
  status.classList.remove('error');
  const loaded = new Map((ps.models || []).map(m => [m.name, m]));
  const running = new Map((ps.running || []).map(r => [r.name, r.status]));
  const models = (tags.models || []).filter(m => !m.name.startsWith('* '));
  status.textContent = models.length === 1 ? '1 model' : models.length + ' models';
  const body = clear($('#models-list'));
  for (const m of models) body.append(row(m, loaded.get(m.name), running.get(m.name)));
  if (!models.length) body.append(h('tr', null, h('td', {colspan: 8, class: 'muted'}, 'No models yet: pull one in Downloads or Library.')));
}

function row(m, ps, runState) {
  const d = m.details || {};
  const caps = Array.isArray(m.capabilities) ? m.capabilities : [];
  const loadedCell = ps
    ? [h('span', {class: 'badge loaded'}, runState === 'running' ? 'generating' : 'loaded'),
      h('span', {class: 'muted'}, ps.expires_at ? ' unloads ' + relative(ps.expires_at) : ''),
      ps.context_length ? h('div', {class: 'muted'}, 'context ' + ps.context_length) : null]
    : h('span', {class: 'muted'}, '—');
  return h('tr', {dataset: {model: m.name}},
    h('td', {class: 'name', 'data-label': 'Name'}, m.name),
    h('td', {'data-label': 'Size'}, bytes(m.size)),
    h('td', {'data-label': 'Family'}, d.family || ''),
    h('td', {'data-label': 'Parameters'}, d.parameter_size || ''),
    h('td', {'data-label': 'Quantization'}, d.quantization_level || ''),
    h('td', {'data-label': 'Capabilities'}, caps.map(c => h('span', {class: 'badge'}, c))),
    h('td', {class: 'loaded', 'data-label': 'Loaded'}, loadedCell),
    h('td', {class: 'actions'},
      h('button', {type: 'button', class: 'small act-chat', on: {click: () => { location.hash = '#chat'; chatWith(m.name); }}}, 'Chat'),
      h('button', {type: 'button', class: 'small act-show', on: {click: () => details(m.name)}}, 'Details'),
      h('button', {type: 'button', class: 'small act-copy', on: {click: () => copy(m.name)}}, 'Copy'),
      ps ? h('button', {type: 'button', class: 'small act-unload', on: {click: () => unload(m.name)}}, 'Unload') : null,
      h('button', {type: 'button', class: 'small danger act-delete', on: {click: () => remove(m.name)}}, 'Delete')));
}

async function details(name) {
  let s;
  try {
    s = await post('/api/show', {model: name});
  } catch (e) {
    toast('Could not show ' + name + ': ' + e.message, true);
    return;
  }
  const d = s.details || {};
  const info = s.model_info || {};
  const arch = info['general.architecture'];
  const facts = [
    ['Family', d.family], ['Parameters', d.parameter_size], ['Quantization', d.quantization_level], ['Format', d.format],
    ['Architecture', arch], ['Context length', arch ? info[arch + '.context_length'] : undefined],
    ['Embedding length', arch ? info[arch + '.embedding_length'] : undefined],
    ['Capabilities', (s.capabilities || []).join(', ')], ['Parent', d.parent_model], ['Modified', s.modified_at],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  const section = (title, text, open) => text ? h('details', {open: open || null, class: 'show-' + title.toLowerCase()},
    h('summary', null, title), h('pre', null, text)) : null;
  await dialog({
    title: name,
    body: [
      h('dl', null, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))])),
      section('Parameters', s.parameters, true),
      section('Template', s.template, true),
      section('System', s.system, true),
      section('License', Array.isArray(s.license) ? s.license.join('\n\n') : s.license, false),
      section('Modelfile', s.modelfile, false),
    ],
    ok: 'Close', cancel: null,
  });
}

async function copy(name) {
  const target = await dialog({title: 'Copy ' + name, input: 'New name', value: name.replace(/:latest$/, '') + '-copy', ok: 'Copy'});
  if (!target) return;
  try {
    await post('/api/copy', {source: name, destination: target});
    toast('Copied ' + name + ' to ' + target);
  } catch (e) {
    toast('Copy failed: ' + e.message, true);
  }
  await changed();
}

async function remove(name) {
  const ok = await dialog({title: 'Delete ' + name + '?', body: [h('p', null,
    'The model is removed from the store; layers no other model uses are deleted from disk.')], ok: 'Delete', danger: true});
  if (!ok) return;
  try {
    await del('/api/delete', {model: name});
    toast('Deleted ' + name);
  } catch (e) {
    toast('Delete failed: ' + e.message, true);
  }
  await changed();
}

async function unload(name) {
  try {
    await post('/api/generate', {model: name, keep_alive: 0});
    toast('Unloaded ' + name);
  } catch (e) {
    toast('Unload failed: ' + e.message, true);
  }
  await changed();
}

async function changed() {
  await refreshModels();
  refreshChatModels();
}

async function create(e) {
  e.preventDefault();
  const name = $('#create-name').value.trim();
  const modelfile = $('#create-modelfile').value;
  const status = $('#create-status');
  status.classList.remove('error');
  const button = $('#create-submit');
  button.disabled = true;
  try {
    const last = await stream('/api/create', {model: name, modelfile, stream: true}, line => {
      status.textContent = line.status || '';
    });
    status.textContent = last && last.status === 'success' ? 'Created ' + name : (last && last.status) || 'done';
    await changed();
  } catch (err) {
    status.textContent = 'Create failed: ' + err.message;
    status.classList.add('error');
  } finally {
    button.disabled = false;
  }
}

export function initModels() {
  $('#models-refresh').addEventListener('click', refreshModels);
  $('#create-form').addEventListener('submit', create);
}
