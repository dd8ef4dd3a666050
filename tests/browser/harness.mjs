// What the browser test scripts share: named steps, checks, Chromium, and the ending.

import { chromium } from 'playwright-core';

let current = 'setup';
let passed = 0;
const started = Date.now();

/// Runs one named step; a failure names the step it happened in.
export async function step(name, body) {
  current = name;
  const t0 = Date.now();
  await body();
  passed += 1;
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/// Headless Chromium (CHROMIUM, else Debian's).
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// Runs the steps in `body`, reports, sets the exit code and closes the browser.
export async function run(browser, body) {
  try {
    await body();
    console.log(`${passed} passed, 0 failed (${Date.now() - started} ms)`);
  } catch (e) {
    console.error(`FAIL at step "${current}": ${e && e.message ? e.message : e}`);
    console.log(`${passed} passed, 1 failed`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
