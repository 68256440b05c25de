// A Markdown renderer for model output that can only ever make text nodes and a fixed set of elements.
// The subset: paragraphs, line breaks, headings, fenced and indented code (highlighted), lists (nested, ordered,
// task boxes shown as text), block quotes, tables, rules, emphasis, strong, strike-through, inline code, links
// (http, https and mailto only; they open in a new tab without a referrer) and autolinks. Raw HTML is not a thing
// here: "<script>" is the eight characters it is.

import {highlight} from './highlight.js';

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)/;
const TABLE_SEP = /^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Renders `text` as Markdown into `container` (its old children are replaced). */
export function renderMarkdown(text, container) {
  const frag = document.createDocumentFragment();
  blocks(String(text).replace(/\r\n?/g, '\n').split('\n'), frag);
  container.replaceChildren(frag);
}

function el(tag, ...children) {
  const e = document.createElement(tag);
  for (const c of children) e.append(c);
  return e;
}

function blocks(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    let m;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const body = [];
      i++;
      while (i < lines.length && !(lines[i].trim().startsWith(fence) && lines[i].trim().replace(/[`~]/g, '') === '')) {
        body.push(lines[i]);
        i++;
      }
      i++; // the closing fence (an unclosed one, mid-stream, runs to the end)
      parent.append(codeBlock(body.join('\n'), m[2]));
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || !lines[i].trim())) {
        body.push(lines[i].replace(/^( {4}|\t)/, ''));
        i++;
      }
      while (body.length && !body[body.length - 1].trim()) body.pop();
      parent.append(codeBlock(body.join('\n'), ''));
      continue;
    }
    if ((m = HEADING.exec(line))) {
      const hd = document.createElement('h' + m[1].length);
      inline(m[2] || '', hd);
      parent.append(hd);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      parent.append(document.createElement('hr'));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && lines[i].trim() && (m = QUOTE.exec(lines[i]) || [null, lines[i]])) {
        body.push(m[1]);
        i++;
      }
      const q = document.createElement('blockquote');
      blocks(body, q);
      parent.append(q);
      continue;
    }
    if (ITEM.test(line)) {
      i = list(lines, i, parent);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      i = table(lines, i, parent);
      continue;
    }
    // a paragraph: up to a blank line or the start of another block
    const body = [line];
    i++;
    while (i < lines.length && lines[i].trim() && !FENCE.test(lines[i]) && !HEADING.test(lines[i]) && !RULE.test(lines[i])
        && !QUOTE.test(lines[i]) && !startsList(lines[i])) {
      body.push(lines[i]);
      i++;
    }
    const p = document.createElement('p');
    body.forEach((l, k) => {
      if (k > 0) p.append(document.createElement('br'));
      inline(l.trim(), p);
    });
    parent.append(p);
  }
}

/** A list item interrupts a paragraph only with a bullet or "1." (as CommonMark has it). */
function startsList(line) {
  const m = ITEM.exec(line);
  return m && m[3] && (!/^\d/.test(m[2]) || /^1[.)]/.test(m[2]));
}

function list(lines, start, parent) {
  const first = ITEM.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /^\d/.test(first[2]);
  const listEl = document.createElement(ordered ? 'ol' : 'ul');
  if (ordered && parseInt(first[2], 10) !== 1) listEl.setAttribute('start', String(parseInt(first[2], 10)));
  let i = start;
  let loose = false;
  const items = [];
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || m[1].length !== indent || /^\d/.test(m[2]) !== ordered) break;
    const contentIndent = indent + m[2].length + 1;
    const body = [m[3] || ''];
    i++;
    while (i < lines.length) {
      const l = lines[i];
      if (!l.trim()) {
        // a blank line continues the item only if indented content follows
        const next = lines[i + 1];
        if (next !== undefined && next.trim() && leading(next) >= contentIndent) {
          body.push('');
          loose = true;
          i++;
          continue;
        }
        break;
      }
      const sub = ITEM.exec(l);
      if (sub && sub[1].length <= indent) break;
      if (leading(l) >= Math.min(contentIndent, indent + 2)) {
        body.push(l.slice(Math.min(leading(l), contentIndent)));
      } else if (!sub && !FENCE.test(l) && !HEADING.test(l) && !QUOTE.test(l) && body.length && body[body.length - 1].trim()) {
        body.push(l.trim()); // a lazy continuation line
      } else {
        break;
      }
      i++;
    }
    items.push(body);
    if (i < lines.length && !lines[i].trim()) {
      // blank lines between items make the list loose
      let j = i;
      while (j < lines.length && !lines[j].trim()) j++;
      const n = j < lines.length ? ITEM.exec(lines[j]) : null;
      if (n && n[1].length === indent && /^\d/.test(n[2]) === ordered) {
        loose = true;
        i = j;
      }
    }
  }
  for (const body of items) {
    const li = document.createElement('li');
    const task = /^\[([ xX])\][ \t]+/.exec(body[0]);
    if (task) {
      li.append(task[1] === ' ' ? '☐ ' : '☑ ');
      body[0] = body[0].slice(task[0].length);
    }
    const holder = document.createElement('div');
    blocks(body, holder);
    // a tight item's single paragraph goes in without its <p>
    if (!loose && holder.firstChild && holder.firstChild.nodeName === 'P') {
      const p = holder.firstChild;
      while (p.firstChild) li.append(p.firstChild);
      p.remove();
    }
    while (holder.firstChild) li.append(holder.firstChild);
    listEl.append(li);
  }
  parent.append(listEl);
  return i;
}

function leading(line) {
  return line.length - line.trimStart().length;
}

function cells(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const out = [];
  let cur = '';
  for (let k = 0; k < s.length; k++) {
    if (s[k] === '\\' && s[k + 1] === '|') { cur += '|'; k++; continue; }
    if (s[k] === '|') { out.push(cur.trim()); cur = ''; continue; }
    cur += s[k];
  }
  out.push(cur.trim());
  return out;
}

function table(lines, start, parent) {
  const head = cells(lines[start]);
  const aligns = cells(lines[start + 1]).map(c => c.startsWith(':') && c.endsWith(':') ? 'center'
    : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : null);
  const t = document.createElement('table');
  const thead = el('thead', el('tr'));
  head.forEach((c, k) => {
    const th = document.createElement('th');
    if (aligns[k]) th.style.textAlign = aligns[k];
    inline(c, th);
    thead.firstChild.append(th);
  });
  t.append(thead);
  const tbody = document.createElement('tbody');
  let i = start + 2;
  while (i < lines.length && lines[i].trim() && lines[i].includes('|')) {
    const tr = document.createElement('tr');
    const row = cells(lines[i]);
    for (let k = 0; k < head.length; k++) {
      const td = document.createElement('td');
      if (aligns[k]) td.style.textAlign = aligns[k];
      inline(row[k] || '', td);
      tr.append(td);
    }
    tbody.append(tr);
    i++;
  }
  t.append(tbody);
  parent.append(t);
  return i;
}

function codeBlock(code, lang) {
  const pre = document.createElement('pre');
  const head = el('div', el('span', lang || 'code'));
  head.className = 'code-head';
  const copy = el('button', 'Copy');
  copy.type = 'button';
  copy.className = 'small ghost copy';
  copy.addEventListener('click', () => copyText(code, copy));
  head.append(copy);
  const c = document.createElement('code');
  if (lang) c.dataset.lang = lang.toLowerCase();
  c.append(highlight(code, lang));
  pre.append(head, c);
  return pre;
}

function copyText(text, button) {
  const done = () => {
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => { button.textContent = 'Copy failed'; });
  } else {
    // plain http on a LAN address has no clipboard API: select the code for Ctrl+C
    const range = document.createRange();
    range.selectNodeContents(button.closest('pre').querySelector('code'));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    button.textContent = 'Selected';
  }
}

// ---------------------------------------------------------------- inline

const ESCAPABLE = '\\`*_{}[]()#+-.!|~<>"\'';

/** Appends the inline Markdown of `s` to `parent` as text nodes and the elements the subset knows. */
export function inline(s, parent) {
  let text = '';
  const flush = () => {
    if (text) parent.append(document.createTextNode(text));
    text = '';
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && ESCAPABLE.includes(s[i + 1])) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let n = 1;
      while (s[i + n] === '`') n++;
      const ticks = s.slice(i, i + n);
      const end = s.indexOf(ticks, i + n);
      if (end > 0) {
        flush();
        let code = s.slice(i + n, end);
        if (/^ .* $/.test(code)) code = code.slice(1, -1);
        parent.append(el('code', code));
        i = end + n;
        continue;
      }
      text += ticks;
      i += n;
      continue;
    }
    if (c === '*' || c === '_' || c === '~') {
      const two = s.slice(i, i + 2);
      const tag = two === '**' || two === '__' ? 'strong' : two === '~~' ? 'del' : c === '~' ? null : 'em';
      const marker = tag === 'em' ? c : two;
      if (tag && canOpen(s, i, marker)) {
        const end = closing(s, i + marker.length, marker);
        if (end > i + marker.length) {
          flush();
          const e = document.createElement(tag);
          inline(s.slice(i + marker.length, end), e);
          parent.append(e);
          i = end + marker.length;
          continue;
        }
      }
    }
    if (c === '[') {
      const link = parseLink(s, i);
      if (link) {
        flush();
        parent.append(anchor(link.url, link.label));
        i = link.end;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(s.slice(i));
      if (m) {
        flush();
        parent.append(anchor(m[1], null));
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && (i === 0 || /[\s(]/.test(s[i - 1]))) {
      const m = /^https?:\/\/[^\s<>]+/i.exec(s.slice(i));
      if (m) {
        const url = m[0].replace(/[.,;:!?)\]'"]+$/, '');
        flush();
        parent.append(anchor(url, null));
        i += url.length;
        continue;
      }
    }
    text += c;
    i++;
  }
  flush();
}

// CommonMark's flanking rules, which keep "snake_case", "2*3*4" and "a.__b" from being emphasis.
const space = ch => ch === undefined || /\s/.test(ch);
const punct = ch => ch !== undefined && /[\p{P}\p{S}]/u.test(ch);

function leftFlanking(s, i, len) {
  const prev = s[i - 1], next = s[i + len];
  return !space(next) && (!punct(next) || space(prev) || punct(prev));
}

function rightFlanking(s, i, len) {
  const prev = s[i - 1], next = s[i + len];
  return !space(prev) && (!punct(prev) || space(next) || punct(next));
}

function canOpen(s, i, marker) {
  const len = marker.length;
  if (!leftFlanking(s, i, len)) return false;
  return marker[0] !== '_' || !rightFlanking(s, i, len) || punct(s[i - 1]);
}

function canClose(s, i, marker) {
  const len = marker.length;
  if (!rightFlanking(s, i, len)) return false;
  return marker[0] !== '_' || !leftFlanking(s, i, len) || punct(s[i + len]);
}

/** The index of the marker that closes the one opened before `from`, or -1. */
function closing(s, from, marker) {
  let k = from;
  while ((k = s.indexOf(marker, k)) > 0) {
    if (s[k - 1] === '\\') { k += 1; continue; }
    if (marker.length === 1 && s[k + 1] === marker) { k += 2; continue; } // "**" does not close "*"
    if (canClose(s, k, marker)) return k;
    k += marker.length;
  }
  return -1;
}

function parseLink(s, i) {
  let depth = 0;
  let k = i;
  for (; k < s.length; k++) {
    if (s[k] === '\\') { k++; continue; }
    if (s[k] === '[') depth++;
    else if (s[k] === ']' && --depth === 0) break;
  }
  if (k >= s.length || s[k + 1] !== '(') return null;
  const close = s.indexOf(')', k + 2);
  if (close < 0) return null;
  const target = s.slice(k + 2, close).trim().split(/\s+/)[0].replace(/^<|>$/g, '');
  return {label: s.slice(i + 1, k), url: target, end: close + 1};
}

/** A link if the URL is http(s) or mailto; anything else (javascript:, data:, ...) stays text. */
function anchor(url, label) {
  if (!SAFE_URL.test(url)) {
    const span = document.createElement('span');
    if (label !== null) inline(label, span); else span.textContent = url;
    return span;
  }
  const a = document.createElement('a');
  a.href = url;
  a.rel = 'noopener noreferrer nofollow';
  a.target = '_blank';
  if (label !== null) inline(label, a); else a.textContent = url;
  return a;
}
