// The page's entry: tabs (the URL's #fragment), the theme toggle, and each section's set-up.

import {$, dialog, toast} from './dom.js';
import {apiKey} from './api.js';
import {initChat, refreshModels as refreshChatModels} from './chat.js';
import {initModels, refreshModels} from './models.js';
import {initDownloads, showDownloads, onDownloadsChanged} from './downloads.js';
import {initLibrary, search} from './library.js';

const VIEWS = ['chat', 'models', 'downloads', 'library'];
let current = null;

function route() {
  const name = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'chat';
  if (name === current) return;
  current = name;
  for (const v of VIEWS) $('#view-' + v).hidden = v !== name;
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = 'Jollama · ' + name[0].toUpperCase() + name.slice(1);
  showDownloads(name === 'downloads');
  if (name === 'chat') refreshChatModels();
  if (name === 'models') refreshModels();
  if (name === 'library') search();
}

// Theme: auto (the system's) → light → dark; the choice is kept in localStorage (theme.js applies it on load).
const THEMES = ['auto', 'light', 'dark'];
function showTheme() {
  const t = document.documentElement.dataset.theme || 'auto';
  const b = $('#theme-toggle');
  b.textContent = 'Theme: ' + t;
  b.title = t === 'auto' ? 'Theme: follows the system (click for light)' : 'Theme: ' + t + ' (click to change)';
}
function toggleTheme() {
  const now = document.documentElement.dataset.theme || 'auto';
  const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
  if (next === 'auto') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem('jollama.theme');
  } else {
    document.documentElement.dataset.theme = next;
    localStorage.setItem('jollama.theme', next);
  }
  showTheme();
}

// API key: asked for when the server answers 401 (once at a time), and from the header's Key button.
let asking = false;
async function askKey(why) {
  if (asking) return;
  asking = true;
  try {
    const key = await dialog({
      title: 'API key', input: 'Key', value: '', ok: 'Use this key',
      body: [why + ' The key is kept in this browser only and sent as "Authorization: Bearer …".'],
    });
    if (key === null) return;
    apiKey.set(key);
    toast('Key saved in this browser');
    current = null;
    route();
    refreshChatModels();
  } finally {
    asking = false;
  }
}
window.addEventListener('jollama-unauthorized', () => askKey('This server needs an API key, or refused the one given.'));
$('#key-button').addEventListener('click', () => askKey('Set the API key this page sends.'));

initChat();
initModels();
initDownloads();
initLibrary();
onDownloadsChanged(() => {
  refreshChatModels();
  if (current === 'models') refreshModels();
  if (current === 'library') search();
});
$('#theme-toggle').addEventListener('click', toggleTheme);
showTheme();
window.addEventListener('hashchange', route);
route();
document.body.dataset.ready = 'true';
