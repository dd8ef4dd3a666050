/* reply-search embeddable search box: <reply-search endpoint="…"></reply-search>
 * Dependency-free custom element; everything lives in its shadow root. Docs: docs/widget.md */
(() => {
  'use strict';
  if (!window.customElements || customElements.get('reply-search')) return;

  // Captured now: currentScript is only set while this file first runs. The default
  // endpoint is where the script came from, minus "/widget.js" (keeps a path prefix).
  const SCRIPT = document.currentScript;
  const HOME = SCRIPT && SCRIPT.src
    ? SCRIPT.src.replace(/\/widget\.js(?:[?#].*)?$/, '').replace(/\/+$/, '')
    : location.origin;

  const DEBOUNCE_MS = 150;
  const SUGGEST_LIMIT = 8;
  const HOT_LIMIT = 8;
  const T = {
    label: '搜索答复文件',
    placeholder: '搜索答复',
    button: '搜索',
    suggestions: '搜索建议',
    hotSearches: '热门搜索',
    hot: '热门',
    docs: (n) => `${n} 篇`,
    title: '文件',
    searching: '正在搜索…',
    total: (n) => `共 ${n} 条`,
    announce: (n) => `共 ${n} 条结果`,
    shown: (a, n) => `已显示 ${a} 条，共 ${n} 条`,
    more: '更多结果',
    empty: '没有找到相关答复，请尝试更少或不同的关键词',
    error: '搜索服务暂时无法访问，请稍后重试',
    results: '搜索结果',
    showing: '已显示“',
    showingEnd: '”的结果，仍然搜索“',
    meant: '您是不是要找：',
  };

  const STYLES = `
:host{display:block;max-width:100%}
:host([hidden]){display:none}
/* Set on .root, not :host, so host-page rules like "* {color:red}" cannot override them. */
.root{--_a:var(--rs-accent,#1a5fb4);font-family:var(--rs-font,system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif);
font-size:var(--rs-font-size,16px);line-height:1.5;color:#1f2328;text-align:left;box-sizing:border-box;min-width:0}
*,*::before,*::after{box-sizing:inherit}
.vh{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
.field{position:relative}
.box{display:flex;min-width:0}
input{flex:1 1 auto;min-width:0;width:100%;margin:0;font:inherit;color:inherit;background:#fff;padding:.5em .75em;
border:1px solid #8c959f;border-right:0;border-radius:6px 0 0 6px;appearance:none}
input::placeholder{color:#6e7781;opacity:1}
button{font:inherit;margin:0;cursor:pointer;border-radius:6px}
.go{flex:0 0 auto;padding:.5em 1em;border:1px solid var(--_a);border-radius:0 6px 6px 0;background:var(--_a);color:#fff}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--_a);outline-offset:2px}
input:focus-visible{outline-offset:0;position:relative;z-index:1}
[role=listbox]{position:absolute;z-index:2147483000;top:100%;left:0;right:0;margin:2px 0 0;padding:4px 0;list-style:none;
background:#fff;border:1px solid #8c959f;border-radius:6px;box-shadow:0 6px 18px rgba(0,0,0,.15);max-height:20em;overflow-y:auto}
[role=listbox][hidden]{display:none}
[role=option]{display:flex;gap:.5em;align-items:baseline;padding:.4em .75em;cursor:pointer;color:#1f2328}
[role=option]:hover{background:#f3f5f8}
[role=option][aria-selected=true]{background:#e9f0fb;box-shadow:inset 3px 0 0 var(--_a)}
.txt{flex:1 1 auto;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.tag{flex:0 0 auto;font-size:.8em;color:#57606a}
.res{margin-top:.75em}
.sum{margin:0;color:#57606a;font-size:.875em}
.dym{margin:0 0 .25em}
.dym-q{all:unset;cursor:pointer;color:var(--_a);text-decoration:underline}
.err{color:#b42318}
ol{list-style:none;margin:.25em 0 0;padding:0}
.hit{padding:.75em 0;border-top:1px solid #d8dee4}
.hit a{color:var(--_a);font-weight:600;font-size:1.0625em;text-decoration:none;overflow-wrap:anywhere}
.hit a:hover{text-decoration:underline}
.meta{margin:.125em 0 0;color:#57606a;font-size:.875em;overflow-wrap:anywhere}
.snip{margin:.25em 0 0;font-size:.9375em;overflow-wrap:anywhere}
mark{background:#fff1a8;color:inherit;padding:0 1px;border-radius:2px;box-shadow:inset 0 -2px var(--_a)}
@supports (background:color-mix(in srgb,red 20%,#fff)){mark{background:color-mix(in srgb,var(--_a) 16%,#fff)}}
.more{margin-top:.5em;padding:.4em 1em;border:1px solid var(--_a);background:#fff;color:var(--_a)}
.more[disabled]{opacity:.6;cursor:progress}
`;

  let sheet = null; // one constructed stylesheet shared by every instance
  function styleInto(root) {
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(STYLES); }
      root.adoptedStyleSheets = [sheet];
    } catch (_) { // older engines: a <style> element inside the shadow root
      const s = document.createElement('style');
      s.textContent = STYLES;
      root.append(s);
    }
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    e.append(...kids);
    return e;
  }

  const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  function decode(s) {
    return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (m, e) => {
      if (e[0] !== '#') return ENTITIES[e.toLowerCase()] || m;
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
    });
  }

  // The server sends escaped text where only <mark>/</mark> are markup. Rebuild it from
  // text nodes and created <mark>s without any HTML parser: anything else that looks like
  // a tag stays literal text, and no innerHTML sink is touched (Trusted Types safe).
  function marked(html) {
    const frag = document.createDocumentFragment();
    let mark = null;
    for (const part of String(html == null ? '' : html).split(/(<\/?mark>)/i)) {
      const tag = part.toLowerCase();
      if (tag === '<mark>') {
        if (!mark) frag.append(mark = el('mark', { part: 'mark' }));
      } else if (tag === '</mark>') {
        mark = null;
      } else if (part) {
        (mark || frag).append(decode(part));
      }
    }
    return frag;
  }

  class ReplySearch extends HTMLElement {
    static get observedAttributes() { return ['placeholder', 'accent-color']; }
    // hot-searches="off" keeps 热门搜索 out of this box even when the server offers them.

    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      styleInto(root);
      this.input = el('input', {
        id: 'q', type: 'text', part: 'input', role: 'combobox', 'aria-autocomplete': 'list',
        'aria-expanded': 'false', 'aria-controls': 'lb', autocomplete: 'off', autocapitalize: 'off',
        spellcheck: 'false', enterkeyhint: 'search', maxlength: '200',
      });
      this.list = el('ul', { id: 'lb', role: 'listbox', part: 'listbox', 'aria-label': T.suggestions });
      this.list.hidden = true;
      this.live = el('div', { class: 'vh', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
      this.results = el('div', { class: 'res', part: 'results', 'aria-label': T.results });
      const go = el('button', { class: 'go', type: 'button', part: 'button' }, T.button);
      this.wrap = el('div', { class: 'root', part: 'root' },
        el('label', { class: 'vh', for: 'q' }, T.label),
        el('div', { class: 'field' }, el('div', { class: 'box', part: 'box' }, this.input, go), this.list),
        this.live, this.results);
      root.append(this.wrap);

      this.items = [];      // current suggestions
      this.active = -1;     // index of the highlighted option
      this.composing = false;
      this.timer = 0;
      this.suggestCtl = null;
      this.searchCtl = null;
      this.pending = null;  // prefix whose suggestions are being fetched
      this.itemsFor = null; // prefix the shown suggestions belong to
      this.state = null;    // {q, offset, total, shown}
      this.hot = null;      // promise of the server's 热门搜索 (fetched once, on first focus)

      this.input.addEventListener('input', (e) => this.onInput(e));
      this.input.addEventListener('keydown', (e) => this.onKey(e));
      this.input.addEventListener('compositionstart', () => {
        this.composing = true;
        clearTimeout(this.timer);
      });
      this.input.addEventListener('compositionend', () => {
        this.composing = false;
        // One request for the committed text, not one per keystroke of the IME.
        clearTimeout(this.timer);
        this.suggest();
      });
      this.input.addEventListener('blur', () => this.close());
      this.input.addEventListener('focus', () => { if (!this.input.value.trim()) this.showHot(); });
      go.addEventListener('click', () => this.search(this.input.value));
      // mousedown would blur the input (and close the list) before the click lands.
      this.list.addEventListener('mousedown', (e) => e.preventDefault());
      this.list.addEventListener('click', (e) => {
        const li = e.target.closest('[role=option]');
        if (li) this.choose(Number(li.dataset.i));
      });
    }

    connectedCallback() {
      this.input.placeholder = this.getAttribute('placeholder') || T.placeholder;
      this.applyAccent();
    }

    disconnectedCallback() {
      this.cancelSuggest();
      if (this.searchCtl) this.searchCtl.abort();
    }

    attributeChangedCallback(name) {
      if (name === 'placeholder') this.input.placeholder = this.getAttribute('placeholder') || T.placeholder;
      else this.applyAccent();
    }

    applyAccent() {
      const v = (this.getAttribute('accent-color') || '').trim();
      // Only a real CSS colour gets through, so the attribute cannot inject other CSS.
      if (v && window.CSS && window.CSS.supports('color', v)) this.wrap.style.setProperty('--_a', v);
      else this.wrap.style.removeProperty('--_a');
    }

    get endpoint() {
      const raw = (this.getAttribute('endpoint') || '').trim() || HOME;
      try {
        const u = new URL(raw, location.href);
        if (u.protocol === 'http:' || u.protocol === 'https:') return u.href.replace(/[?#].*$/, '').replace(/\/+$/, '');
      } catch (_) { /* fall through */ }
      return HOME;
    }

    get limit() {
      const n = parseInt(this.getAttribute('limit'), 10);
      return n > 0 ? Math.min(n, 50) : 10;
    }

    docUrl(id) { return `${this.endpoint}/docs/${encodeURIComponent(id)}`; }

    onInput(e) {
      if (this.composing || e.isComposing) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.suggest(), DEBOUNCE_MS);
    }

    async suggest() {
      const q = this.input.value.trim();
      if (q && q === this.itemsFor) { // e.g. the input event some engines send after compositionend
        if (this.items.length && document.activeElement === this) this.open();
        return;
      }
      if (q && q === this.pending) return;
      this.cancelSuggest(); // a newer prefix makes the old answer stale
      if (!q) { this.showHot(); return; }
      this.pending = q;
      const ctl = this.suggestCtl = new AbortController();
      try {
        const r = await fetch(`${this.endpoint}/api/suggest?q=${encodeURIComponent(q)}&limit=${SUGGEST_LIMIT}`,
          { signal: ctl.signal, credentials: 'omit' });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const data = await r.json();
        if (ctl.signal.aborted || this.input.value.trim() !== q) return;
        this.pending = null;
        this.setItems(Array.isArray(data.suggestions) ? data.suggestions : [], q);
      } catch (_) {
        // Suggestions are a convenience: on failure just show none; search reports errors.
        if (!ctl.signal.aborted) { this.pending = null; this.setItems([], null); }
      }
    }

    // 热门搜索 under the empty box: what the server lists (nothing when it shows none).
    async showHot() {
      if ((this.getAttribute('hot-searches') || '').trim().toLowerCase() === 'off') return;
      if (!this.hot) {
        this.hot = fetch(`${this.endpoint}/api/hot?limit=${HOT_LIMIT}`, { credentials: 'omit' })
          .then((r) => (r.ok ? r.json() : { queries: [] }))
          .then((d) => (Array.isArray(d.queries) ? d.queries.map(String) : []))
          .catch(() => []);
      }
      const queries = await this.hot;
      if (this.input.value.trim() || !queries.length) { if (!this.input.value.trim()) this.setItems([], null); return; }
      this.setItems(queries.map((text) => ({ type: 'hot', text })), '', T.hotSearches);
    }

    cancelSuggest() {
      clearTimeout(this.timer);
      if (this.suggestCtl) this.suggestCtl.abort();
      this.suggestCtl = null;
      this.pending = null;
    }

    setItems(items, forQuery, label = T.suggestions) {
      this.items = items;
      this.itemsFor = forQuery;
      this.list.setAttribute('aria-label', label);
      this.active = -1;
      this.input.removeAttribute('aria-activedescendant');
      this.list.replaceChildren(...items.map((s, i) => {
        const isTitle = s.type === 'title';
        const tag = isTitle ? T.title : s.type === 'hot' ? T.hot : (s.docs != null ? T.docs(s.docs) : '');
        return el('li', { id: `o${i}`, role: 'option', part: 'option', 'aria-selected': 'false', 'data-i': String(i) },
          el('span', { class: 'txt' }, String(s.text || '')),
          el('span', { class: 'tag', 'aria-hidden': 'true' }, tag));
      }));
      if (items.length && document.activeElement === this) this.open();
      else this.close();
    }

    open() {
      this.list.hidden = false;
      this.input.setAttribute('aria-expanded', 'true');
    }

    close() {
      this.list.hidden = true;
      this.input.setAttribute('aria-expanded', 'false');
      this.input.removeAttribute('aria-activedescendant');
      this.setActive(-1);
    }

    setActive(i) {
      const opts = this.list.children;
      if (opts[this.active]) opts[this.active].setAttribute('aria-selected', 'false');
      this.active = i;
      if (opts[i]) {
        opts[i].setAttribute('aria-selected', 'true');
        this.input.setAttribute('aria-activedescendant', opts[i].id);
        opts[i].scrollIntoView({ block: 'nearest' });
      } else {
        this.input.removeAttribute('aria-activedescendant');
      }
    }

    onKey(e) {
      if (e.isComposing || this.composing) return; // keys belong to the IME
      const n = this.items.length;
      const shown = !this.list.hidden;
      switch (e.key) {
        case 'ArrowDown':
        case 'ArrowUp': {
          if (!n) return;
          e.preventDefault();
          if (!shown) { this.open(); this.setActive(e.key === 'ArrowDown' ? 0 : n - 1); return; }
          const step = e.key === 'ArrowDown' ? 1 : -1;
          this.setActive(this.active < 0 ? (step > 0 ? 0 : n - 1) : (this.active + step + n) % n);
          return;
        }
        case 'Enter':
          e.preventDefault();
          if (shown && this.active >= 0) this.choose(this.active);
          else this.search(this.input.value);
          return;
        case 'Escape':
          e.preventDefault();
          if (shown) { this.close(); return; }
          // Second Escape: clear the box.
          this.cancelSuggest();
          this.input.value = '';
          this.setItems([], null);
          return;
        case 'Home': case 'End':
          if (shown && this.active >= 0) this.setActive(e.key === 'Home' ? 0 : n - 1), e.preventDefault();
          return;
        default:
      }
    }

    choose(i) {
      const s = this.items[i];
      if (!s) return;
      if (s.type === 'title' && s.id != null) {
        this.close();
        location.assign(this.docUrl(s.id));
        return;
      }
      this.input.value = s.text;
      this.search(s.text);
    }

    search(raw, asWritten = false) {
      const q = String(raw || '').trim();
      this.cancelSuggest();
      this.setItems([], null); // typing again starts fresh suggestions

      if (!q) return;
      this.state = { q, offset: 0, total: 0, shown: 0, asWritten };
      this.fetchPage(false);
    }

    // Did you mean: the corrected query; the query as written when its hits are shown.
    correction(data) {
      const meant = typeof data.did_you_mean === 'string' ? data.did_you_mean : '';
      if (!meant) return '';
      const link = (text, asWritten) => {
        const b = el('button', { type: 'button', class: 'dym-q', part: 'did-you-mean-query' }, text);
        b.addEventListener('click', () => { this.input.value = text; this.search(text, asWritten); });
        return b;
      };
      if (data.showing_did_you_mean) {
        return el('p', { class: 'dym', part: 'did-you-mean' },
          T.showing, link(meant, false), T.showingEnd, link(this.state.q, true), '”');
      }
      return el('p', { class: 'dym', part: 'did-you-mean' }, T.meant, link(meant, false));
    }

    async fetchPage(append) {
      const st = this.state;
      if (this.searchCtl) this.searchCtl.abort(); // only the newest search may render
      const ctl = this.searchCtl = new AbortController();
      const p = new URLSearchParams({ q: st.q, limit: String(this.limit), offset: String(st.offset), facets: '', source: 'widget' });
      if (st.asWritten) p.set('correct', 'false');
      for (const k of ['kind', 'respondent']) {
        const v = (this.getAttribute(k) || '').trim();
        if (v) p.set(k, v);
      }
      this.results.setAttribute('aria-busy', 'true');
      if (append) {
        const more = this.results.querySelector('.more');
        if (more) { more.disabled = true; more.textContent = T.searching; }
      } else {
        this.results.replaceChildren(el('p', { class: 'sum', part: 'summary' }, T.searching));
      }
      let data;
      try {
        const r = await fetch(`${this.endpoint}/api/search?${p}`, { signal: ctl.signal, credentials: 'omit' });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        data = await r.json();
      } catch (err) {
        if (ctl.signal.aborted) return;
        this.results.removeAttribute('aria-busy');
        const msg = el('p', { class: 'sum err', part: 'error', role: 'alert' }, T.error);
        if (append) {
          const more = this.results.querySelector('.more');
          if (more) { more.disabled = false; more.textContent = T.more; more.before(msg); }
        } else {
          this.results.replaceChildren(msg);
        }
        return;
      }
      if (ctl.signal.aborted || st !== this.state) return;
      this.results.removeAttribute('aria-busy');
      this.render(data, append);
    }

    render(data, append) {
      const st = this.state;
      const hits = Array.isArray(data.hits) ? data.hits : [];
      st.total = Number(data.total) || 0;
      // Past a threshold the server stops counting: the total is then a lower bound.
      st.count = data.total_is_exact === false ? `${st.total}+` : String(st.total);
      st.shown += hits.length;
      st.offset += hits.length;
      const lis = hits.map((h) => {
        const a = el('a', { href: this.docUrl(h.id), rel: 'noopener', part: 'hit-title' });
        const title = h.title_html ? marked(h.title_html) : String(h.title || h.id);
        a.append(title);
        const meta = [h.respondent, h.date, h.proposal_no].filter((x) => x).join(' · ');
        return el('li', { class: 'hit', part: 'hit' },
          a,
          meta ? el('p', { class: 'meta', part: 'hit-meta' }, meta) : '',
          h.snippet ? el('p', { class: 'snip', part: 'hit-snippet' }, marked(h.snippet)) : '');
      });
      let ol = this.results.querySelector('ol');
      if (!append || !ol) {
        const dym = this.correction(data);
        if (!st.total || (!hits.length && !st.shown)) {
          this.results.replaceChildren(dym, el('p', { class: 'sum', part: 'summary' }, T.empty));
          this.announce(T.empty);
          return;
        }
        ol = el('ol', { part: 'hits' });
        this.results.replaceChildren(dym, el('p', { class: 'sum', part: 'summary' }, T.total(st.count)), ol);
        this.announce(T.announce(st.count));
      } else {
        this.results.querySelectorAll('.err').forEach((x) => x.remove());
        this.announce(T.shown(st.shown, st.count));
      }
      ol.append(...lis);
      const old = this.results.querySelector('.more');
      if (old) old.remove();
      // An empty page means the total was an overestimate: stop offering more.
      if (hits.length && st.shown < st.total) {
        const more = el('button', { class: 'more', type: 'button', part: 'more' }, T.more);
        more.addEventListener('click', () => {
          // Keep focus sensible: the next new hit is where the reader continues.
          const first = st.shown;
          this.fetchPage(true).then(() => {
            const a = this.results.querySelectorAll('.hit a')[first];
            if (a) a.focus({ preventScroll: false });
          });
        });
        this.results.append(more);
      }
    }

    announce(text) {
      // Clear first so the same message twice in a row is still read out.
      this.live.textContent = '';
      setTimeout(() => { this.live.textContent = text; }, 50);
    }
  }

  customElements.define('reply-search', ReplySearch);
})();
