// Chat: streamed answers from POST /api/chat, conversations kept in the browser's localStorage.

import {get, post, stream} from './api.js';
import {$, h, clear, toast, dialog} from './dom.js';
import {renderMarkdown} from './markdown.js';

const STORE = 'jollama.conversations';
const LAST_MODEL = 'jollama.model';
const OPTIONS = ['temperature', 'num_ctx', 'num_predict'];

const state = {
  conversations: [],
  current: null,      // id of the open conversation
  generating: null,   // {controller, conv} while an answer streams
  capabilities: {},   // model → capabilities from /api/show
  images: [],         // attachments for the next message: {b64, type}
};

function load() {
  try {
    const list = JSON.parse(localStorage.getItem(STORE) || '[]');
    state.conversations = Array.isArray(list) ? list : [];
  } catch (e) {
    state.conversations = [];
  }
}

function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify(state.conversations));
  } catch (e) {
    // full storage (images take room): keep the text, drop the pictures of older messages
    for (const c of state.conversations) for (const m of c.messages) delete m.images;
    try {
      localStorage.setItem(STORE, JSON.stringify(state.conversations));
      toast('Browser storage is full: attached images are not kept.', true);
    } catch (e2) {
      toast('Browser storage is full: this conversation is not saved.', true);
    }
  }
}

const conversation = () => state.conversations.find(c => c.id === state.current) || null;

function newConversation() {
  const c = {id: Date.now().toString(36) + Math.random().toString(36).slice(2, 7), title: '', messages: [],
    model: $('#chat-model').value, system: $('#chat-system').value, options: readOptions(), updated: Date.now()};
  state.conversations.unshift(c);
  state.current = c.id;
  return c;
}

function readOptions() {
  const o = {};
  for (const k of OPTIONS) {
    const v = $('#opt-' + k).value.trim();
    if (v !== '' && !isNaN(Number(v))) o[k] = Number(v);
  }
  return o;
}

// ---------------------------------------------------------------- models and capabilities

export async function refreshModels() {
  const select = $('#chat-model');
  let models = [];
  try {
    models = (await get('/api/tags')).models || [];
  } catch (e) {
    toast('Could not list the models: ' + e.message, true);
  }
  // queued downloads ("* name [QUEUED]") and embedding-only models cannot chat
  models = models.filter(m => !m.name.startsWith('* ')
    && !(Array.isArray(m.capabilities) && m.capabilities.includes('embedding') && !m.capabilities.includes('completion')));
  const wanted = select.value || (conversation() && conversation().model) || localStorage.getItem(LAST_MODEL) || '';
  clear(select);
  if (!models.length) select.append(h('option', {value: ''}, 'no models: pull one in Downloads or Library'));
  for (const m of models) select.append(h('option', {value: m.name}, m.name));
  const names = models.map(m => m.name);
  if (names.includes(wanted)) select.value = wanted;
  else if (names.includes(wanted + ':latest')) select.value = wanted + ':latest';
  await showCapabilities();
}

async function showCapabilities() {
  const model = $('#chat-model').value;
  const caps = $('#chat-caps');
  clear(caps);
  let list = [];
  if (model) {
    if (!state.capabilities[model]) {
      try {
        state.capabilities[model] = (await post('/api/show', {model})).capabilities || [];
      } catch (e) {
        state.capabilities[model] = [];
      }
    }
    list = state.capabilities[model];
  }
  if (model !== $('#chat-model').value) return; // changed meanwhile
  for (const c of list) caps.append(h('span', {class: 'badge'}, c));
  const vision = list.includes('vision');
  $('#chat-attach').hidden = !vision;
  if (!vision) setImages([]);
  $('#chat-think-label').hidden = !list.includes('thinking');
}

// ---------------------------------------------------------------- rendering

function renderConversations() {
  const ul = clear($('#conversations'));
  const sorted = [...state.conversations].sort((a, b) => b.updated - a.updated);
  for (const c of sorted) {
    const title = c.title || 'New chat';
    ul.append(h('li', {class: c.id === state.current ? 'current' : null, dataset: {id: c.id}},
      h('button', {type: 'button', class: 'open', title, 'aria-current': c.id === state.current ? 'true' : null,
        on: {click: () => open(c.id)}}, title),
      h('button', {type: 'button', class: 'remove small', 'aria-label': 'Delete conversation ' + title,
        on: {click: () => removeConversation(c)}}, '×')));
  }
}

function renderLog() {
  const log = $('#chat-log');
  const c = conversation();
  clear(log);
  if (!c || !c.messages.length) {
    log.append(h('p', {class: 'empty', id: 'chat-empty'},
      'Pick a model and say something. Enter sends, Shift+Enter starts a new line, Esc stops an answer.'));
    return;
  }
  for (const m of c.messages) log.append(messageView(m));
  log.scrollTop = log.scrollHeight;
}

function messageView(m) {
  const view = h('div', {class: 'msg ' + (m.role === 'user' ? 'user' : 'assistant')});
  fillMessage(view, m);
  return view;
}

/** (Re)draws one message: the user's text as typed, the model's as sanitised Markdown. */
function fillMessage(view, m) {
  clear(view);
  if (m.role === 'user') {
    if (m.images && m.images.length) {
      view.append(h('div', {class: 'images'}, m.images.map(b64 => h('img', {src: 'data:' + imageType(b64) + ';base64,' + b64, alt: 'attached image'}))));
    }
    view.append(h('div', {class: 'content'}, m.content)); // shown exactly as typed: a text node
    return;
  }
  view.append(h('div', {class: 'role'}, m.model || 'assistant'));
  if (m.thinking) {
    const t = h('details', {class: 'thinking'}, h('summary', null, m.content ? 'Thinking' : 'Thinking…'),
      h('div', {class: 'thinking-text'}, m.thinking));
    view.append(t);
  }
  const content = h('div', {class: 'content md'});
  renderMarkdown(m.content || '', content);
  view.append(content);
  if (m.stopped) view.append(h('div', {class: 'note stopped'}, 'Stopped.'));
  if (m.error) view.append(h('div', {class: 'note error'}, 'Error: ' + m.error));
  if (m.stats) view.append(h('div', {class: 'stats'}, statsText(m.stats)));
}

/** The type of a base64 image from its first bytes (messages keep only the base64, as the API takes it). */
function imageType(b64) {
  if (b64.startsWith('iVBOR')) return 'image/png';
  if (b64.startsWith('/9j/')) return 'image/jpeg';
  if (b64.startsWith('R0lGOD')) return 'image/gif';
  if (b64.startsWith('UklGR')) return 'image/webp';
  return 'application/octet-stream';
}

function statsText(s) {
  const parts = [];
  if (s.eval_count !== undefined) parts.push(s.eval_count + ' tokens');
  if (s.eval_count && s.eval_duration) parts.push((s.eval_count / (s.eval_duration / 1e9)).toFixed(1) + ' tokens/s');
  if (s.ttft_ms !== undefined && s.ttft_ms !== null) parts.push('first token ' + Math.round(s.ttft_ms) + ' ms');
  if (s.prompt_eval_count) parts.push('prompt ' + s.prompt_eval_count + ' tokens');
  if (s.done_reason) parts.push(s.done_reason);
  return parts.join(' · ');
}

// ---------------------------------------------------------------- actions

function open(id) {
  if (state.generating) stop();
  state.current = id;
  const c = conversation();
  if (c) {
    $('#chat-system').value = c.system || '';
    for (const k of OPTIONS) $('#opt-' + k).value = c.options && c.options[k] !== undefined ? c.options[k] : '';
    const select = $('#chat-model');
    if (c.model && [...select.options].some(o => o.value === c.model)) {
      select.value = c.model;
      showCapabilities();
    }
  }
  renderConversations();
  renderLog();
  $('#chat-sidebar').classList.remove('open');
  $('#chat-input').focus();
}

async function removeConversation(c) {
  const ok = await dialog({title: 'Delete conversation?', body: [h('p', null, '“' + (c.title || 'New chat') + '” will be removed from this browser.')],
    ok: 'Delete', danger: true});
  if (!ok) return;
  if (state.generating && state.generating.conv === c) stop();
  state.conversations = state.conversations.filter(x => x !== c);
  if (state.current === c.id) state.current = null;
  save();
  renderConversations();
  renderLog();
}

function startNew() {
  if (state.generating) stop();
  state.current = null;
  renderConversations();
  renderLog();
  $('#chat-input').focus();
}

function stop() {
  if (state.generating) state.generating.controller.abort();
}

function setGenerating(on) {
  $('#chat-stop').hidden = !on;
  $('#chat-send').disabled = on;
}

async function send() {
  if (state.generating) return;
  const input = $('#chat-input');
  const text = input.value;
  if (!text.trim() && !state.images.length) return;
  const model = $('#chat-model').value;
  if (!model) {
    toast('No model to chat with: pull one in Downloads or Library first.', true);
    return;
  }
  localStorage.setItem(LAST_MODEL, model);
  const c = conversation() || newConversation();
  c.model = model;
  c.system = $('#chat-system').value;
  c.options = readOptions();
  c.updated = Date.now();
  const user = {role: 'user', content: text};
  if (state.images.length) user.images = state.images.map(i => i.b64);
  c.messages.push(user);
  if (!c.title) c.title = text.trim().slice(0, 60) || 'Image';
  input.value = '';
  setImages([]);

  const request = {model, messages: [], stream: true};
  if (c.system.trim()) request.messages.push({role: 'system', content: c.system});
  for (const m of c.messages) {
    const msg = {role: m.role, content: m.content};
    if (m.images) msg.images = m.images;
    request.messages.push(msg);
  }
  if (Object.keys(c.options).length) request.options = c.options;
  if (!$('#chat-think-label').hidden) request.think = $('#chat-think').checked;

  const answer = {role: 'assistant', model, content: '', thinking: ''};
  c.messages.push(answer);
  save();
  renderConversations();
  renderLog();
  const log = $('#chat-log');
  const view = log.lastElementChild;
  view.classList.add('streaming');

  const controller = new AbortController();
  state.generating = {controller, conv: c};
  setGenerating(true);
  const started = performance.now();
  let ttft = null;
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      fillMessage(view, answer);
      if (stick) log.scrollTop = log.scrollHeight;
    });
  };
  try {
    await stream('/api/chat', request, line => {
      const m = line.message || {};
      if (ttft === null && (m.content || m.thinking)) ttft = performance.now() - started;
      if (m.thinking) answer.thinking += m.thinking;
      if (m.content) answer.content += m.content;
      if (line.done) {
        answer.stats = {eval_count: line.eval_count, eval_duration: line.eval_duration,
          prompt_eval_count: line.prompt_eval_count, total_duration: line.total_duration, ttft_ms: ttft,
          done_reason: line.done_reason};
      }
    }, controller.signal, redraw);
  } catch (e) {
    if (e.name === 'AbortError') answer.stopped = true;
    else answer.error = e.message;
  } finally {
    state.generating = null;
    if (!answer.thinking) delete answer.thinking;
    c.updated = Date.now();
    save();
    view.classList.remove('streaming');
    fillMessage(view, answer);
    setGenerating(false);
    log.scrollTop = log.scrollHeight;
  }
}

// ---------------------------------------------------------------- images

function setImages(list) {
  state.images = list;
  const box = clear($('#chat-attachments'));
  box.hidden = !list.length;
  list.forEach((img, k) => box.append(h('span', {class: 'att'},
    h('img', {src: 'data:' + img.type + ';base64,' + img.b64, alt: 'image to send'}),
    h('button', {type: 'button', class: 'small', 'aria-label': 'Remove image',
      on: {click: () => setImages(state.images.filter((_, j) => j !== k))}}, '×'))));
}

function readImage(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve({b64: String(r.result).split(',')[1], type: file.type});
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

// ---------------------------------------------------------------- set-up

export function initChat() {
  load();
  const first = [...state.conversations].sort((a, b) => b.updated - a.updated)[0];
  if (first) state.current = first.id;
  $('#chat-form').addEventListener('submit', e => {
    e.preventDefault();
    send();
  });
  $('#chat-input').addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape' && state.generating && !document.querySelector('dialog[open]')) stop();
  });
  $('#chat-stop').addEventListener('click', stop);
  $('#chat-new').addEventListener('click', startNew);
  $('#chat-model').addEventListener('change', showCapabilities);
  $('#chat-attach').addEventListener('click', () => $('#chat-images').click());
  $('#chat-images').addEventListener('change', async e => {
    const files = [...e.target.files];
    e.target.value = '';
    try {
      setImages([...state.images, ...await Promise.all(files.map(readImage))]);
    } catch (err) {
      toast('Could not read the image: ' + err.message, true);
    }
  });
  $('#chat-sidebar-toggle').addEventListener('click', () => {
    const sb = $('#chat-sidebar');
    sb.classList.toggle('open');
    $('#chat-sidebar-toggle').setAttribute('aria-expanded', String(sb.classList.contains('open')));
  });
  const c = conversation();
  if (c) {
    $('#chat-system').value = c.system || '';
    for (const k of OPTIONS) $('#opt-' + k).value = c.options && c.options[k] !== undefined ? c.options[k] : '';
  }
  renderConversations();
  renderLog();
}

/** Opens a new conversation with `model` (from the Models page). */
export function chatWith(model) {
  startNew();
  const select = $('#chat-model');
  if ([...select.options].some(o => o.value === model)) {
    select.value = model;
    showCapabilities();
  }
}
