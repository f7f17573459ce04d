// Quick accessibility checks that need no extra tool: names, heading levels, keyboard reach.
import assert from 'node:assert/strict';

/** Every button, input, select and link has a name a screen reader can say. */
export async function expectAccessibleNames(page) {
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, select, a[href]')]
    .filter((e) => !e.closest('[hidden]'))
    .filter((e) => {
      const labelled = e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
      return !labelled && !e.textContent.trim();
    })
    .map((e) => e.outerHTML));
  assert.deepEqual(unnamed, []);
  assert.equal(await page.getAttribute('html', 'lang'), 'sv');
}

/** One h1, and no heading more than one level below the one before it. */
export async function expectHeadingOrder(page) {
  const levels = await page.evaluate(() => [...document.querySelectorAll('h1, h2, h3, h4')]
    .filter((h) => !h.closest('[hidden]'))
    .map((h) => Number(h.tagName[1])));
  assert.equal(levels.filter((l) => l === 1).length, 1, 'one h1');
  assert.equal(levels[0], 1, 'h1 first');
  levels.forEach((level, i) => assert.ok(i === 0 || level <= levels[i - 1] + 1, `heading levels ${levels.join(',')}`));
}

/** Tabs from the top of the page until the element has focus, as a keyboard user would. */
export async function focusByKeyboard(page, selector) {
  for (let i = 0; i < 80; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) {
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none', 'focus is visible');
      return;
    }
  }
  assert.fail(`${selector} cannot be reached with Tab`);
}

/** Every visible text has a contrast of at least 4.5:1 with the background behind it (WCAG 1.4.3). */
export async function expectContrast(page) {
  const low = await page.evaluate(() => {
    const rgb = (color) => color.match(/[\d.]+/g).map(Number);
    const luminance = (color) => {
      const [r, g, b] = color.slice(0, 3).map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const background = (element) => {
      for (let e = element; e; e = e.parentElement) {
        const color = rgb(getComputedStyle(e).backgroundColor);
        if (color.length < 4 || color[3] > 0) return color;
      }
      return [255, 255, 255];
    };
    return [...document.querySelectorAll('body *')]
      .filter((e) => [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
      .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
      .map((e) => {
        const [a, b] = [luminance(rgb(getComputedStyle(e).color)), luminance(background(e))];
        return { text: e.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      })
      .filter((t) => t.ratio < 4.5);
  });
  assert.deepEqual(low, []);
}
