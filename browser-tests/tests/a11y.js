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
