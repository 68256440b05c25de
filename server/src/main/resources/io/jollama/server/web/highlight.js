// A small syntax highlighter: one scanner for the C-like, script and shell families, with each language's keywords,
// comment and string forms. It returns a fragment of text nodes and <span class="tok-…"> elements only.

const words = s => new Set(s.split(' '));

const C_LIKE = words('if else for while do switch case default break continue return goto try catch finally throw throws '
  + 'new delete class struct enum union interface extends implements public private protected static final const '
  + 'volatile abstract virtual override void this super null true false sizeof typedef namespace using import package '
  + 'export from as async await yield function var let typeof instanceof in of with debugger record sealed permits '
  + 'template typename auto inline extern register signed unsigned constexpr nullptr operator friend go defer chan '
  + 'select func map range type fallthrough fn let mut impl trait pub use mod crate self Self match loop where dyn '
  + 'move ref unsafe elif');
const PYTHON = words('and as assert async await break class continue def del elif else except False finally for from '
  + 'global if import in is lambda None nonlocal not or pass raise return True try while with yield match case self');
const SHELL = words('if then else elif fi for while until do done case esac in function return local export '
  + 'readonly declare set unset shift exit echo cd source alias');
const SQL = words('select from where and or not insert into values update set delete create table drop alter index '
  + 'join left right inner outer on group by order having limit offset as distinct union all null is like between '
  + 'primary key foreign references default');
const TYPES = words('int long short char byte float double boolean bool string String void usize isize u8 u16 u32 u64 i8 '
  + 'i16 i32 i64 f32 f64 str int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 float32 float64 size_t Integer '
  + 'Long Object List Map Set Option Result Vec number any unknown never');

const LANGS = {
  c: 'c', h: 'c', cpp: 'c', 'c++': 'c', cc: 'c', hpp: 'c', java: 'c', kotlin: 'c', kt: 'c', js: 'c', javascript: 'c',
  mjs: 'c', ts: 'c', typescript: 'c', tsx: 'c', jsx: 'c', go: 'c', golang: 'c', rust: 'c', rs: 'c', cs: 'c',
  csharp: 'c', swift: 'c', scala: 'c', dart: 'c', php: 'c', json: 'json',
  python: 'py', py: 'py', ruby: 'py', rb: 'py', r: 'py', yaml: 'sh', yml: 'sh', toml: 'sh', ini: 'sh',
  sh: 'sh', bash: 'sh', shell: 'sh', zsh: 'sh', console: 'sh', dockerfile: 'sh', makefile: 'sh', perl: 'sh',
  sql: 'sql', lua: 'sql', haskell: 'sql',
};

function family(lang) {
  return LANGS[String(lang || '').toLowerCase()] || (lang ? 'c' : 'plain');
}

/** `code` as a fragment with highlighted tokens (plain text when the language is unknown or absent). */
export function highlight(code, lang) {
  const frag = document.createDocumentFragment();
  const fam = family(lang);
  if (fam === 'plain' || code.length > 200000) {
    frag.append(document.createTextNode(code));
    return frag;
  }
  const keywords = fam === 'py' ? PYTHON : fam === 'sh' ? SHELL : fam === 'sql' ? SQL : fam === 'json' ? words('true false null') : C_LIKE;
  const lineComment = fam === 'py' || fam === 'sh' ? '#' : fam === 'sql' ? '--' : fam === 'json' ? null : '//';
  const blockComment = fam === 'c';
  let text = '';
  const flush = () => {
    if (text) frag.append(document.createTextNode(text));
    text = '';
  };
  const token = (cls, s) => {
    flush();
    const span = document.createElement('span');
    span.className = 'tok-' + cls;
    span.textContent = s;
    frag.append(span);
  };
  let i = 0;
  const n = code.length;
  while (i < n) {
    const c = code[i];
    if (lineComment && code.startsWith(lineComment, i) && (fam !== 'sh' || i === 0 || /\s/.test(code[i - 1]))) {
      let end = code.indexOf('\n', i);
      if (end < 0) end = n;
      token('com', code.slice(i, end));
      i = end;
      continue;
    }
    if (blockComment && code.startsWith('/*', i)) {
      let end = code.indexOf('*/', i + 2);
      end = end < 0 ? n : end + 2;
      token('com', code.slice(i, end));
      i = end;
      continue;
    }
    if (c === '"' || c === "'" || (c === '`' && fam === 'c')) {
      const triple = fam === 'py' && code.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let k = i + quote.length;
      while (k < n) {
        if (code[k] === '\\') { k += 2; continue; }
        if (code.startsWith(quote, k)) { k += quote.length; break; }
        if (code[k] === '\n' && !triple && c !== '`') break;
        k++;
      }
      token('str', code.slice(i, Math.min(k, n)));
      i = Math.min(k, n);
      continue;
    }
    if (/[0-9]/.test(c) && (i === 0 || !/[\w$]/.test(code[i - 1]))) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?)[a-zA-Z]*/.exec(code.slice(i, i + 64));
      token('num', m[0]);
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let k = i + 1;
      while (k < n && /[\w$]/.test(code[k])) k++;
      const word = code.slice(i, k);
      const lookup = fam === 'sql' ? word.toLowerCase() : word;
      if (keywords.has(lookup)) token('kw', word);
      else if (TYPES.has(word)) token('type', word);
      else if (code[k] === '(') token('fn', word);
      else text += word;
      i = k;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return frag;
}
