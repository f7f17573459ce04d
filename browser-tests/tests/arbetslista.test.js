// The care work list in headless Chromium: the overdue contract found, sorted, filtered by unit
// and opened; the follow-up measures drawn with their values in text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, screenshot } from './browser.js';
import { PERSONAS, today } from './personas.js';
import { expectAccessibleNames, expectContrast, expectHeadingOrder } from './a11y.js';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser?.close());

async function openWorklist(query = 'dagar=365') {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/arbetslista/?${query}`);
  await page.locator('#arbetslista, #lista p').first().waitFor();
  return page;
}

const rowsText = (page) => page.locator('#arbetslista tbody tr').allInnerTexts();
const patientColumn = async (page) => page.locator('#arbetslista tbody tr td:first-child').allInnerTexts();
const dueColumn = async (page) => page.locator('#arbetslista tbody tr time').evaluateAll((times) => times.map((t) => t.dateTime));

test('every persona with an open next step is listed, overdue ones marked so, soonest first', async () => {
  const page = await openWorklist();

  assert.deepEqual(await patientColumn(page), [...PERSONAS].sort((a, b) => a.nextStep.date.localeCompare(b.nextStep.date)).map((p) => p.name));
  for (const persona of PERSONAS) {
    const row = page.locator('#arbetslista tbody tr', { hasText: persona.name });
    const late = persona.nextStep.date < today();
    assert.equal(await row.getByText(/^Försenat \d+ dag/).count(), late ? 1 : 0, `${persona.name} ${late ? 'is' : 'is not'} overdue`);
    assert.equal(await row.locator(`time[datetime="${persona.nextStep.date}"]`).count(), 1);
    assert.match(await row.innerText(), new RegExp(persona.unit.replace(/[(),]/g, '.')));
  }
  assert.ok((await rowsText(page)).some((r) => /Försenat/.test(r)), 'Göran\'s next step of 2026-11-16 is overdue');
  assert.match(await page.locator('#status').innerText(), /3 nästa steg .* varav \d+ försenat/);
  await expectHeadingOrder(page);
  await expectAccessibleNames(page);
  await expectContrast(page);
  assert.deepEqual(page.scriptErrors, []);
  await screenshot(page, 'arbetslista');
});

test('the columns sort both ways and say how they are sorted', async () => {
  const page = await openWorklist();
  const dates = await dueColumn(page);
  assert.deepEqual(dates, [...dates].sort());

  await page.getByRole('button', { name: 'Patient' }).click();
  assert.deepEqual(await patientColumn(page), PERSONAS.map((p) => p.name).sort((a, b) => a.localeCompare(b, 'sv')));
  assert.equal(await page.locator('th[data-kolumn="patient"]').getAttribute('aria-sort'), 'ascending');

  await page.getByRole('button', { name: 'Lovat senast' }).click();
  await page.getByRole('button', { name: 'Lovat senast' }).click();
  assert.deepEqual(await dueColumn(page), [...dates].sort().reverse());
  assert.equal(await page.locator('th[data-kolumn="due"]').getAttribute('aria-sort'), 'descending');
});

test('the overdue contract is found for its unit, and its link opens the contract', async () => {
  const goran = PERSONAS.find((p) => p.id === 'goran-karlsson');
  const page = await openWorklist('dagar=0');
  assert.ok((await patientColumn(page)).includes(goran.name), 'only overdue and today\'s steps, Göran\'s among them');

  await page.getByLabel('Vårdenhet').selectOption({ label: goran.unit });
  await page.getByRole('button', { name: 'Visa' }).click();
  await page.waitForURL(/enhet=Organization/);
  await page.locator('#arbetslista').waitFor();
  assert.deepEqual(await patientColumn(page), [goran.name]);

  await page.getByRole('link', { name: goran.name }).click();
  await page.locator('#overenskommelse').waitFor();
  assert.match(page.url(), /\/mitt-patientkontrakt\/\?patient=goran-karlsson$/);
  assert.match(await page.locator('#nasta-steg').innerText(), /Datumet har passerat/);
});

test('a fast vårdkontakt sees the contracts where they are the fast vårdkontakt', async () => {
  const page = await openWorklist('dagar=365&kontakt=PractitionerRole/maria-lind-vardcentralen-nybro');
  assert.deepEqual(await patientColumn(page), ['Esther Andersson']);
  assert.equal(await page.getByLabel('Fast vårdkontakt').inputValue(), 'PractitionerRole/maria-lind-vardcentralen-nybro');
});

test('the follow-up measures are drawn per unit with their values in text', async () => {
  const page = await openWorklist();
  const charts = page.locator('#matt figure');
  await charts.first().waitFor();

  assert.deepEqual(await charts.locator('h3').allInnerTexts(), [
    'Andel patienter med fast vårdkontakt',
    'Nästa steg som blev gjorda i tid (hållna löften)',
  ]);
  const share = charts.nth(0);
  assert.match(await share.locator('tr', { hasText: 'Hela regionen' }).innerText(), /\d+ %\s+\d+ av \d+/);
  for (const persona of PERSONAS) {
    assert.match(await share.innerText(), new RegExp(persona.unit.replace(/[(),]/g, '.')));
  }
  assert.ok(await share.locator('.stapel[aria-hidden="true"]').count() >= 4, 'a bar for the region and each unit');

  await page.goto(`${BASE_URL}/arbetslista/?dagar=365&enhet=Organization/ortopedkliniken-oskarshamn`);
  await page.locator('#matt figure').first().waitFor();
  assert.deepEqual(await page.locator('#matt figure').first().locator('tbody th').allInnerTexts(),
    ['Hela regionen', 'Ortopedkliniken, Oskarshamns sjukhus']);
  await screenshot(page, 'arbetslista-ortopedkliniken');
});

test('fits a 360 px wide phone: only the table scrolls sideways', async () => {
  const page = await openPage(browser, { width: 360, height: 780 });
  await page.goto(`${BASE_URL}/arbetslista/?dagar=365`);
  await page.locator('#arbetslista').waitFor();

  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide on a 360 px screen`);
  await screenshot(page, 'arbetslista-mobil');
});
