// The query log's admin page and 热门搜索 in real headless Chromium.
//
// Needs ENGINE_URL (a reply-search server with the corpus, an admin key ADMIN_KEY, the query
// log and --hot-searches), READONLY_URL (one without an admin key) and HOST_URL (a page on
// another origin embedding the widget from ENGINE_URL). tests/admin_browser.rs sets all of
// that up. Exits non-zero with a message naming the failed step.

import { check, launch, run, step } from './harness.mjs';

const ENGINE = (process.env.ENGINE_URL || '').replace(/\/+$/, '');
const READONLY = (process.env.READONLY_URL || '').replace(/\/+$/, '');
const HOST = (process.env.HOST_URL || '').replace(/\/+$/, '');
const KEY = process.env.ADMIN_KEY || '';
// SCREENSHOT=1 also writes docs/admin-queries.png.
const SCREENSHOT = process.env.SCREENSHOT === '1';

if (!ENGINE || !READONLY || !HOST || !KEY) {
  console.error('FAIL: set ENGINE_URL, READONLY_URL, HOST_URL and ADMIN_KEY (tests/admin_browser.rs does this)');
  process.exit(2);
}

const browser = await launch();

async function newPage(credentials) {
  const context = await browser.newContext({
    viewport: { width: 1000, height: 900 }, locale: 'zh-CN',
    ...(credentials ? { httpCredentials: { username: 'admin', password: credentials } } : {}),
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A 401/403 document is expected in some steps; anything else logged as an error is not.
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { page, problems };
}

/// The search page's box: type, submit, wait for the result page.
async function searchOnPage(page, q) {
  await page.goto(`${ENGINE}/?q=${encodeURIComponent(q)}`);
  await page.locator('h1#results-h').waitFor();
}

await run(browser, async () => {
  const visitor = await newPage(null);

  await step('searches typed on the search page and in the widget', async () => {
    const { page } = visitor;
    // The form on a result page, as a person uses it.
    await searchOnPage(page, '停车');
    check(await page.locator('li.hit').count() > 0, '停车 found nothing');
    await page.fill('#q', '停车');
    await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
    await page.locator('li.hit').first().waitFor();
    await searchOnPage(page, '琥珀蜻蜓');
    check(await page.locator('li.hit').count() === 0, '琥珀蜻蜓 found something');
    // The widget on a portal page.
    await page.goto(`${HOST}/`);
    const input = page.locator('reply-search input');
    await input.waitFor();
    await input.fill('停车');
    await input.press('Enter');
    await page.locator('reply-search li.hit').first().waitFor();
  });

  // A browser asked for credentials it does not have (a person cancelling the prompt) ends the
  // navigation with ERR_INVALID_AUTH_CREDENTIALS in headless Chromium; the response itself is
  // read through the same context's request API.
  async function deniedPage(page) {
    const navigation = await page.goto(`${ENGINE}/admin/queries`).then((r) => r, (e) => e);
    if (navigation instanceof Error) {
      check(/ERR_INVALID_AUTH_CREDENTIALS/.test(navigation.message), navigation.message);
    } else {
      check(navigation.status() === 401, `status ${navigation.status()}`);
    }
    check(await page.locator('table.report').count() === 0, 'the report leaked into the page');
    const resp = await page.request.get(`${ENGINE}/admin/queries`);
    check(resp.status() === 401, `status ${resp.status()}`);
    check(/^Basic /.test(resp.headers()['www-authenticate'] || ''), 'no Basic challenge');
    const body = await resp.text();
    check(body.includes('需要管理密钥'), `page says: ${body}`);
    check(!body.includes('琥珀蜻蜓') && !body.includes('table'), 'the report leaked');
  }

  await step('the admin page without the key: 401, nothing shown', async () => {
    await deniedPage(visitor.page);
  });

  await step('a wrong key: 401, nothing shown', async () => {
    const { page } = await newPage('not-the-key');
    await deniedPage(page);
    await page.context().close();
  });

  await step('a read-only server: 403', async () => {
    const { page } = await newPage(KEY);
    const resp = await page.goto(`${READONLY}/admin/queries`);
    check(resp.status() === 403, `status ${resp.status()}`);
    check((await page.locator('main').textContent()).includes('只读'), 'no read-only notice');
    await page.context().close();
  });

  const admin = await newPage(KEY);
  await step('the key shows the chart and the lists', async () => {
    const { page, problems } = admin;
    const resp = await page.goto(`${ENGINE}/admin/queries`);
    check(resp.status() === 200, `status ${resp.status()}`);
    check(/no-store/.test(resp.headers()['cache-control'] || ''), 'the report may be cached');
    const buckets = page.locator('svg.buckets g.bucket');
    check(await buckets.count() === 7, `${await buckets.count()} day columns`);
    const today = buckets.last();
    check(Number(await today.getAttribute('data-searches')) === 4, `today: ${await today.getAttribute('data-searches')} searches`);
    check(Number(await today.getAttribute('data-zero')) === 1, 'today: zero-result searches wrong');
    check(await today.locator('rect').count() === 2, 'today has no column and zero-result part');
    const box = await page.locator('svg.buckets').boundingBox();
    check(box && box.width > 300 && box.height > 100, `chart not laid out: ${JSON.stringify(box)}`);
    const top = page.locator('section[aria-labelledby=top-h] tbody tr').first();
    check((await top.locator('td').first().textContent()).trim() === '停车', 'top query is not 停车');
    check((await top.locator('td').nth(1).textContent()).includes('3'), '停车 not counted 3 times');
    const zero = await page.locator('section[aria-labelledby=zero-h] tbody').textContent();
    check(zero.includes('琥珀蜻蜓'), `zero-result list: ${zero}`);
    const sources = await page.locator('p.summary').textContent();
    check(/检索页 3/.test(sources) && /嵌入搜索框 1/.test(sources), `sources: ${sources}`);
    check(problems.length === 0, problems.join('; '));
    if (SCREENSHOT) await page.screenshot({ path: 'docs/admin-queries.png', fullPage: true });
  });

  await step('the 24-hour tab counts by hour; a query opens its search', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: '近24小时' }).click();
    await page.waitForURL(/days=1/);
    check(await page.locator('svg.buckets g.bucket').count() === 24, 'not 24 hour columns');
    check(await page.locator('figcaption').textContent().then((t) => t.includes('每小时')), 'caption');
    await page.locator('section[aria-labelledby=top-h] tbody a', { hasText: '停车' }).click();
    await page.locator('li.hit').first().waitFor();
    check(new URL(page.url()).searchParams.get('q') === '停车', `opened ${page.url()}`);
  });

  await step('热门搜索 on the landing page and in the widget', async () => {
    const { page, problems } = visitor;
    // The list is kept a while (at least a second) and then recomputed, in the background
    // when computing it was slow: load the page until it shows.
    const chip = page.locator('nav.hot a', { hasText: '停车' });
    for (let tries = 0; tries < 100; tries += 1) {
      await page.goto(`${ENGINE}/`);
      if (await chip.count() > 0) break;
      await page.waitForTimeout(200);
    }
    check(await chip.count() === 1, 'no 停车 under 热门搜索 on the landing page');
    check(await page.locator('nav.hot a', { hasText: '琥珀蜻蜓' }).count() === 0, 'a query that found nothing is hot');
    await page.goto(`${HOST}/`);
    const input = page.locator('reply-search input');
    await input.waitFor();
    await input.focus();
    const listbox = page.locator('reply-search [role=listbox]');
    await listbox.waitFor({ state: 'visible' });
    check(await listbox.getAttribute('aria-label') === '热门搜索', 'listbox not labelled 热门搜索');
    const option = page.locator('reply-search [role=option]').first();
    check((await option.textContent()).includes('停车'), `first option: ${await option.textContent()}`);
    await input.press('ArrowDown');
    await input.press('Enter');
    await page.locator('reply-search li.hit').first().waitFor();
    check(await input.inputValue() === '停车', 'choosing a hot query did not search it');
    check(problems.length === 0, problems.join('; '));
  });

});
