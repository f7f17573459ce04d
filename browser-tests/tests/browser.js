// Headless Chromium from the machine (Debian's chromium package): playwright-core brings no
// browser of its own, and none can be downloaded here.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BASE_URL = (process.env.BASE_URL || 'http://localhost:8080').replace(/\/$/, '');
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

export async function launch() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * A page in a Swedish browser; page.scriptErrors collects its script errors, and whatever the
 * server's Content-Security-Policy refused, for the tests to check.
 */
export async function openPage(browser, { width = 960, height = 900 } = {}) {
  const context = await browser.newContext({ locale: 'sv-SE', timezoneId: 'Europe/Stockholm', viewport: { width, height } });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`Content-Security-Policy refused ${event.blockedURI || 'inline'} (${event.violatedDirective})`));
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A failed request is logged as a console error too; the pages expect some (smart-configuration
  // is 404 without access control) and show the others, which the tests then see.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  page.scriptErrors = errors;
  return page;
}

/** A FHIR call from the test itself, to read back what the page wrote. */
export async function fhir(path, init = {}) {
  const response = await fetch(BASE_URL + '/fhir' + path, { ...init, headers: { Accept: 'application/fhir+json', ...init.headers } });
  if (!response.ok) {
    throw new Error(`${init.method || 'GET'} ${path}: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

export function screenshot(page, name) {
  return page.screenshot({ path: SCREENSHOTS + name + '.png', fullPage: true });
}
