// End-to-end test of the embeddable search box in real headless Chromium.
//
// Needs ENGINE_URL (a running reply-search server with the corpus indexed, and HOST_URL's
// origin in its CORS list) and HOST_URL (a page on another origin embedding the widget;
// `/` with endpoint/limit/accent-color set and hostile host CSS, `/bare` without endpoint).
// tests/widget_browser.rs sets all of that up. SCREENSHOT=1 also writes docs/widget.png.
// Exits non-zero with a message naming the failed step.

import { check, launch, run, step } from './harness.mjs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ENGINE = (process.env.ENGINE_URL || '').replace(/\/+$/, '');
const HOST = (process.env.HOST_URL || '').replace(/\/+$/, '');
const SCREENSHOT = process.env.SCREENSHOT === '1';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

if (!ENGINE || !HOST) {
  console.error('FAIL: set ENGINE_URL and HOST_URL (tests/widget_browser.rs does this)');
  process.exit(2);
}

// Helpers evaluated in the page: the widget's nodes live in its (open) shadow root.
const inShadow = (sel) => `document.querySelector('reply-search').shadowRoot.querySelector(${JSON.stringify(sel)})`;

const browser = await launch();

await run(browser, async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 }, locale: 'zh-CN' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const suggestUrls = [];
  const searchUrls = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/suggest')) suggestUrls.push(r.url());
    if (r.url().includes('/api/search')) searchUrls.push(r.url());
  });

  // Playwright's CSS locators pierce open shadow roots.
  const input = page.locator('reply-search input');
  const listbox = page.locator('reply-search [role=listbox]');
  const options = page.locator('reply-search [role=option]');
  const hits = page.locator('reply-search li.hit');

  await step('host page on another origin loads the widget from the engine', async () => {
    check(new URL(ENGINE).origin !== new URL(HOST).origin, 'ENGINE_URL and HOST_URL must be different origins');
    const resp = await page.goto(`${HOST}/`);
    check(resp && resp.ok(), `host page answered ${resp && resp.status()}`);
    await page.waitForFunction(() => {
      const el = document.querySelector('reply-search');
      return customElements.get('reply-search') && el && el.shadowRoot && el.shadowRoot.querySelector('input');
    });
    const js = await page.request.get(`${ENGINE}/widget.js`);
    check(js.ok(), `/widget.js answered ${js.status()}`);
    const h = js.headers();
    check(/^text\/javascript/.test(h['content-type'] || ''), `content-type ${h['content-type']}`);
    check(h['access-control-allow-origin'] === '*', 'widget.js lacks Access-Control-Allow-Origin: *');
    check(/max-age=300/.test(h['cache-control'] || ''), `cache-control ${h['cache-control']}`);
    const size = (await js.body()).length;
    check(size < 20 * 1024, `widget.js is ${size} bytes (limit 20 KB)`);
  });

  await step('combobox semantics, label and live region', async () => {
    const a = await page.evaluate(`(() => {
      const root = document.querySelector('reply-search').shadowRoot;
      const i = root.querySelector('input');
      const lb = root.getElementById(i.getAttribute('aria-controls'));
      const label = root.querySelector('label[for="' + i.id + '"]');
      const live = root.querySelector('[aria-live=polite]');
      return { mode: root.mode, role: i.getAttribute('role'), ac: i.getAttribute('aria-autocomplete'),
        expanded: i.getAttribute('aria-expanded'), lbRole: lb && lb.getAttribute('role'),
        label: label && label.textContent, live: !!live, placeholder: i.placeholder,
        liveHidden: live && getComputedStyle(live).width === '1px' };
    })()`);
    check(a.mode === 'open', 'shadow root is not open');
    check(a.role === 'combobox' && a.ac === 'list' && a.expanded === 'false', `input ARIA wrong: ${JSON.stringify(a)}`);
    check(a.lbRole === 'listbox', 'aria-controls does not point at a role=listbox');
    check(a.label && a.label.length > 0, 'input has no <label>');
    check(a.live && a.liveHidden, 'no visually hidden aria-live=polite region');
    check(a.placeholder === '搜索答复', `placeholder is ${a.placeholder}`);
    // The accessible name comes from the label, through the shadow boundary.
    check(await page.getByRole('combobox', { name: a.label }).count() === 1, 'combobox has no accessible name');
  });

  await step('host CSS does not leak in; accent-color applies', async () => {
    const s = await page.evaluate(`(() => {
      const i = ${inShadow('input')}, b = ${inShadow('button')};
      const cs = getComputedStyle(i);
      return { fontSize: cs.fontSize, color: cs.color, btn: getComputedStyle(b).backgroundColor };
    })()`);
    check(s.fontSize !== '40px', `host "input { font-size: 40px }" leaked in (${s.fontSize})`);
    check(s.color !== 'rgb(255, 0, 0)', 'host "* { color: red }" leaked into the input');
    check(s.btn === 'rgb(11, 110, 79)', `accent-color="#0b6e4f" not applied to the button (${s.btn})`);
    // An invalid colour is ignored rather than producing broken CSS.
    const fallback = await page.evaluate(`(() => {
      const el = document.querySelector('reply-search');
      el.setAttribute('accent-color', 'red; background: url(x)');
      const c = getComputedStyle(${inShadow('button')}).backgroundColor;
      el.setAttribute('accent-color', '#0b6e4f');
      return c;
    })()`);
    check(fallback === 'rgb(26, 95, 180)', `invalid accent-color not ignored (${fallback})`);
  });

  await step('typing 新质 shows suggestions (one debounced request)', async () => {
    await input.click();
    suggestUrls.length = 0;
    await page.keyboard.type('新质');
    await listbox.waitFor({ state: 'visible' });
    const n = await options.count();
    check(n > 0, 'no suggestion options');
    const texts = await options.allTextContents();
    check(texts.some((t) => t.includes('新质')), `suggestions do not contain 新质: ${texts.join(' | ')}`);
    check(await input.getAttribute('aria-expanded') === 'true', 'aria-expanded is not true while the list is open');
    await page.waitForTimeout(300);
    check(suggestUrls.length === 1, `expected 1 debounced suggest request, saw ${suggestUrls.length}: ${suggestUrls.join(' ')}`);
    check(new URL(suggestUrls[0]).searchParams.get('q') === '新质', `suggest q is not 新质: ${suggestUrls[0]}`);
    check(new URL(suggestUrls[0]).searchParams.get('limit') === '8', 'suggest limit is not 8');
  });

  await step('ArrowDown/ArrowUp move aria-activedescendant', async () => {
    await page.keyboard.press('ArrowDown');
    const ids = await options.evaluateAll((els) => els.map((e) => e.id));
    check(ids.every((id) => id) && new Set(ids).size === ids.length, 'options lack unique ids');
    check(await input.getAttribute('aria-activedescendant') === ids[0], 'ArrowDown did not activate the first option');
    check(await options.nth(0).getAttribute('aria-selected') === 'true', 'first option not aria-selected');
    if (ids.length > 1) {
      await page.keyboard.press('ArrowDown');
      check(await input.getAttribute('aria-activedescendant') === ids[1], 'second ArrowDown did not move on');
      check(await options.nth(0).getAttribute('aria-selected') === 'false', 'previous option still selected');
      await page.keyboard.press('ArrowUp');
      check(await input.getAttribute('aria-activedescendant') === ids[0], 'ArrowUp did not move back');
    }
    const outline = await page.evaluate(`getComputedStyle(${inShadow('input')}).outlineStyle`);
    check(outline !== 'none', 'focused input has no visible focus outline');
  });

  await step('Escape closes the list, a second Escape clears the box', async () => {
    await page.keyboard.press('Escape');
    await listbox.waitFor({ state: 'hidden' });
    check(await input.getAttribute('aria-expanded') === 'false', 'aria-expanded not reset');
    check(await input.getAttribute('aria-activedescendant') === null, 'aria-activedescendant left set');
    check(await input.inputValue() === '新质', 'first Escape changed the text');
    await page.keyboard.press('Escape');
    check(await input.inputValue() === '', 'second Escape did not clear the box');
  });

  await step('IME composition: no requests while composing, one on compositionend', async () => {
    await input.focus();
    suggestUrls.length = 0;
    await page.evaluate(`(() => {
      const i = ${inShadow('input')};
      i.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      for (const v of ['x', 'xin', '新', 'xinzhi']) {
        i.value = v;
        i.dispatchEvent(new CompositionEvent('compositionupdate', { data: v }));
        i.dispatchEvent(new InputEvent('input', { data: v, isComposing: true, inputType: 'insertCompositionText' }));
      }
    })()`);
    await page.waitForTimeout(400);
    check(suggestUrls.length === 0, `requests fired during composition: ${suggestUrls.join(' ')}`);
    await page.evaluate(`(() => {
      const i = ${inShadow('input')};
      i.value = '新质';
      i.dispatchEvent(new CompositionEvent('compositionend', { data: '新质' }));
      // Firefox-style trailing input event: must not cause a second request.
      i.dispatchEvent(new InputEvent('input', { data: '新质', isComposing: false, inputType: 'insertCompositionText' }));
    })()`);
    await listbox.waitFor({ state: 'visible' });
    await page.waitForTimeout(400);
    check(suggestUrls.length === 1, `expected exactly 1 request after compositionend, saw ${suggestUrls.length}`);
    check(new URL(suggestUrls[0]).searchParams.get('q') === '新质', 'compositionend request has the wrong q');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
  });

  let total = 0;
  await step('新质生产力 + Enter shows highlighted results', async () => {
    await page.keyboard.type('新质生产力');
    await page.keyboard.press('Enter');
    await hits.first().waitFor();
    check(await listbox.isHidden(), 'suggestion list still open after searching');
    const summary = await page.locator('reply-search .sum').first().textContent();
    const m = /共 (\d+) 条/.exec(summary || '');
    check(m, `no "共 N 条" total: ${summary}`);
    total = Number(m[1]);
    const url = new URL(searchUrls[searchUrls.length - 1]);
    check(url.searchParams.get('q') === '新质生产力' && url.searchParams.get('limit') === '5', `search request wrong: ${url}`);
    check(await page.locator('reply-search li.hit mark').count() > 0, 'no <mark> in the results');
    check(await page.evaluate('document.querySelectorAll("mark").length') === 0, 'marks rendered outside the shadow root');
    const metas = await page.locator('reply-search .meta').allTextContents();
    check(metas.some((t) => t.includes('福田区发展和改革局')), `respondent 福田区发展和改革局 not shown: ${metas.join(' | ')}`);
    const links = await page.locator('reply-search li.hit a').evaluateAll((as) => as.map((a) => ({
      href: a.href, target: a.getAttribute('target'), rel: a.rel,
      tags: [...a.querySelectorAll('*')].map((e) => e.localName),
    })));
    for (const l of links) {
      check(l.href.startsWith(`${ENGINE}/docs/`), `result link not on the engine: ${l.href}`);
      check(!l.target && /noopener/.test(l.rel), `result link target/rel wrong: ${JSON.stringify(l)}`);
      check(l.tags.every((t) => t === 'mark'), `unexpected elements in a title: ${l.tags}`);
    }
    const color = await page.evaluate(`getComputedStyle(${inShadow('.snip')}).color`);
    check(color !== 'rgb(255, 0, 0)', 'host colour leaked into the snippets');
    await page.waitForFunction(`${inShadow('[aria-live]')}.textContent.includes('共')`);
  });

  await step('choosing a term suggestion with the keyboard searches for it', async () => {
    const more = await page.locator('reply-search button.more').count();
    check(more === (total > await hits.count() ? 1 : 0), `更多结果 shown=${more} with ${total} hits in all`);
    await input.fill('');
    await page.keyboard.type('停车');
    await listbox.waitFor({ state: 'visible' });
    const texts = await options.locator('.txt').allTextContents();
    check(texts.length >= 3, `expected several suggestions for 停车: ${texts}`);
    const ids = await options.evaluateAll((els) => els.map((e) => e.id));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    check(await input.getAttribute('aria-activedescendant') === ids[1], 'two ArrowDowns do not reach the second option');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    check(await input.getAttribute('aria-activedescendant') === ids[ids.length - 1], 'ArrowUp from the first does not wrap to the last');
    await page.keyboard.press('ArrowDown');
    check(await input.getAttribute('aria-activedescendant') === ids[0], 'ArrowDown from the last does not wrap to the first');
    const n = searchUrls.length;
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const r = document.querySelector('reply-search').shadowRoot;
      return /共 \d+ 条/.test(r.querySelector('.sum')?.textContent || '') && r.querySelector('li.hit');
    });
    check(searchUrls.length === n + 1, 'Enter on a term did not run exactly one search');
    check(new URL(searchUrls[n]).searchParams.get('q') === texts[0], `searched ${searchUrls[n]}, expected ${texts[0]}`);
    check(await input.inputValue() === texts[0], 'the chosen term is not in the box');
    check(await listbox.isHidden(), 'list still open after choosing');
    total = Number(/共 (\d+) 条/.exec(await page.locator('reply-search .sum').first().textContent())[1]);
  });

  await step('更多结果 appends the next page', async () => {
    const before = await hits.count();
    check(before === 5 && total > 5, `expected 5 of more than 5 hits before paging (${before} of ${total})`);
    await page.locator('reply-search button.more').click();
    await page.waitForFunction((n) => document.querySelector('reply-search').shadowRoot.querySelectorAll('li.hit').length > n, before);
    const url = new URL(searchUrls[searchUrls.length - 1]);
    check(url.searchParams.get('offset') === String(before), `paging offset wrong: ${url}`);
    const ids = await page.locator('reply-search li.hit a').evaluateAll((as) => as.map((a) => a.href));
    check(new Set(ids).size === ids.length, 'paging repeated hits');
    // Focus moves to the first new hit so keyboard users continue where they were.
    check(await page.evaluate(`document.querySelector('reply-search').shadowRoot.activeElement?.href`) === ids[before],
      'focus did not move to the first new hit');
    check(await page.locator('reply-search button.more').count() === (ids.length < total ? 1 : 0), '更多结果 state wrong after paging');
  });

  await step('no console errors or page errors on the host page', async () => {
    check(problems.length === 0, problems.join('\n'));
  });

  if (SCREENSHOT) {
    await step('screenshot docs/widget.png', async () => {
      // Results with the suggestion list open above them: both states in one picture.
      await page.setViewportSize({ width: 720, height: 1000 });
      await input.fill('停车');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('reply-search').shadowRoot.querySelectorAll('li.hit').length === 5);
      await input.focus();
      await page.keyboard.press('Backspace');
      await page.keyboard.type('车');
      await listbox.waitFor({ state: 'visible' });
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.locator('reply-search').screenshot({ path: path.join(ROOT, 'docs/widget.png') });
      await page.keyboard.press('Escape');
    });
  }

  await step('clicking a result opens the engine document page in the same tab', async () => {
    const href = await hits.first().locator('a').getAttribute('href');
    const [resp] = await Promise.all([
      page.waitForNavigation(),
      hits.first().locator('a').click(),
    ]);
    check(page.url() === href && href.startsWith(`${ENGINE}/docs/`), `landed on ${page.url()}, expected ${href}`);
    check(context.pages().length === 1, 'the result opened a new tab');
    check(resp && resp.status() === 200, `document page answered ${resp && resp.status()}`);
    check((await page.content()).includes('相似答复'), 'the document page lists similar replies');
  });

  await step('320 px wide: no horizontal overflow', async () => {
    const narrow = await context.newPage();
    await narrow.setViewportSize({ width: 320, height: 640 });
    await narrow.goto(`${HOST}/`);
    const ni = narrow.locator('reply-search input');
    await ni.click();
    await narrow.keyboard.type('停车');
    await narrow.locator('reply-search [role=listbox]').waitFor({ state: 'visible' });
    const open = await narrow.evaluate(() => {
      const r = document.querySelector('reply-search').shadowRoot.querySelector('[role=listbox]').getBoundingClientRect();
      return { right: r.right, sw: document.documentElement.scrollWidth };
    });
    check(open.right <= 320 && open.sw <= 320, `suggestion list overflows at 320 px: ${JSON.stringify(open)}`);
    await narrow.keyboard.press('Enter');
    await narrow.locator('reply-search li.hit').first().waitFor();
    const m = await narrow.evaluate(() => {
      const el = document.querySelector('reply-search');
      const widest = [...el.shadowRoot.querySelectorAll('*')].reduce((w, e) => Math.max(w, e.getBoundingClientRect().right), 0);
      return { sw: document.documentElement.scrollWidth, host: el.getBoundingClientRect().right, widest };
    });
    check(m.sw <= 320 && m.host <= 320 && m.widest <= 320.5, `overflow at 320 px: ${JSON.stringify(m)}`);
    await narrow.close();
  });

  await step('endpoint defaults to where widget.js came from', async () => {
    const bare = await context.newPage();
    const seen = [];
    bare.on('request', (r) => { if (r.url().includes('/api/suggest')) seen.push(r.url()); });
    await bare.goto(`${HOST}/bare`);
    await bare.locator('reply-search input').click();
    await bare.keyboard.type('新质');
    await bare.locator('reply-search [role=option]').first().waitFor();
    check(seen.length > 0 && seen.every((u) => u.startsWith(`${ENGINE}/api/suggest`)), `suggest went to ${seen}`);
    await bare.close();
  });

  await step('a title suggestion navigates to its document', async () => {
    const p = await context.newPage();
    await p.goto(`${HOST}/`);
    await p.locator('reply-search input').click();
    await p.keyboard.type('停车');
    await p.locator('reply-search [role=option]').first().waitFor();
    const titles = p.locator('reply-search [role=option]', { hasText: '文件' });
    check(await titles.count() > 0, 'no title suggestion for 停车');
    const res = await p.request.get(`${ENGINE}/api/suggest?q=${encodeURIComponent('停车')}&limit=8`);
    const first = (await res.json()).suggestions.find((s) => s.type === 'title');
    await Promise.all([p.waitForURL(`${ENGINE}/docs/${encodeURIComponent(first.id)}`), titles.first().click()]);
    await p.close();
  });

  await step('pinyin initials (tcc) complete to 停车场; choosing it searches', async () => {
    const p = await context.newPage();
    await p.goto(`${HOST}/`);
    await p.locator('reply-search input').click();
    await p.keyboard.type('tcc');
    const option = p.locator('reply-search [role=option]', { hasText: '停车场' }).first();
    await option.waitFor();
    await option.click();
    await p.locator('reply-search li.hit').first().waitFor();
    check(await p.locator('reply-search input').inputValue() === '停车场', 'the box does not hold the chosen word');
    await p.close();
  });

  await step('a homophone typo (教玉) shows the results of 教育, and the way back', async () => {
    const p = await context.newPage();
    const asked = [];
    p.on('request', (r) => { if (r.url().includes('/api/search')) asked.push(r.url()); });
    await p.goto(`${HOST}/`);
    await p.locator('reply-search input').click();
    await p.keyboard.type('教玉');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => /已显示“教育”的结果，仍然搜索“教玉”/.test(
      document.querySelector('reply-search').shadowRoot.querySelector('.dym')?.textContent || ''));
    check(await p.locator('reply-search li.hit').count() > 0, 'no results shown for the correction');
    // Searching for the query as written asks with correct=false and finds nothing.
    await p.locator('reply-search .dym-q').nth(1).click();
    await p.waitForFunction(() => /没有找到相关答复/.test(
      document.querySelector('reply-search').shadowRoot.querySelector('.res').textContent));
    const url = new URL(asked[asked.length - 1]);
    check(url.searchParams.get('q') === '教玉' && url.searchParams.get('correct') === 'false', `as-written request wrong: ${url}`);
    await p.close();
  });

  await step('empty result, failed fetch, hostile HTML and preset filters', async () => {
    const p = await context.newPage();
    await p.goto(`${HOST}/`);
    const pi = p.locator('reply-search input');
    const sum = p.locator('reply-search .sum').first();
    await pi.click();
    await p.keyboard.type('zzqxjvvw');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => /没有找到相关答复/.test(document.querySelector('reply-search').shadowRoot.querySelector('.res').textContent));

    // The server escapes everything but <mark>; the widget must not trust that blindly.
    let seenUrl = null;
    await p.route('**/api/search?**', (route) => {
      seenUrl = new URL(route.request().url());
      return route.fulfill({
        status: 200,
        headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' },
        body: JSON.stringify({ total: 1, took_ms: 1, hits: [{
          id: 'a/b c', title: 'x', kind: '建议',
          title_html: '<img src=x onerror="window.__xss=1">标题&lt;b&gt;<mark>高亮</mark><script>window.__xss=2</script>',
          respondent: '某局', date: '2024-01-01', proposal_no: null,
          snippet: '<svg onload="window.__xss=3"></svg>正文<mark>片段</mark>&amp;',
        }] }),
      });
    });
    await p.evaluate(() => {
      const el = document.querySelector('reply-search');
      el.setAttribute('kind', '提案');
      el.setAttribute('respondent', '福田区发展和改革局');
    });
    await pi.fill('测试');
    await p.keyboard.press('Enter');
    await p.locator('reply-search li.hit').first().waitFor();
    const r = await p.evaluate(() => {
      const root = document.querySelector('reply-search').shadowRoot;
      const a = root.querySelector('li.hit a');
      return { xss: window.__xss, tags: [...root.querySelectorAll('.res *')].map((e) => e.localName),
        title: a.textContent, href: a.getAttribute('href'), snip: root.querySelector('.snip').textContent };
    });
    check(r.xss === undefined, 'hostile HTML ran script');
    check(!r.tags.some((t) => ['img', 'script', 'svg', 'b'].includes(t)), `hostile elements rendered: ${r.tags}`);
    check(r.title.includes('标题<b>高亮'), `title text wrong: ${r.title}`);
    check(r.snip.endsWith('正文片段&'), `snippet text wrong: ${r.snip}`);
    check(r.href === `${ENGINE}/docs/a%2Fb%20c`, `id not URL-encoded in link: ${r.href}`);
    check(seenUrl.searchParams.get('kind') === '提案' && seenUrl.searchParams.get('respondent') === '福田区发展和改革局',
      `preset filters not sent: ${seenUrl}`);

    await p.unroute('**/api/search?**');
    await p.route('**/api/search?**', (route) => route.abort('connectionrefused'));
    await pi.fill('失败');
    await p.keyboard.press('Enter');
    await p.locator('reply-search .err').waitFor();
    check(/暂时无法访问/.test(await sum.textContent()), 'no error message after a failed fetch');
    await p.close();
  });

});
