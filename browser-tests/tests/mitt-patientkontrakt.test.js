// "Mitt patientkontrakt" for every example persona, in headless Chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE_URL, fhir, launch, openPage, screenshot } from './browser.js';
import { PERSONAS, today } from './personas.js';
import { expectAccessibleNames, expectContrast, expectHeadingOrder, focusByKeyboard } from './a11y.js';

const SECTIONS = [
  'Mitt nästa steg',
  'Det här är viktigt för mig',
  'Vårt gemensamma mål',
  'Det här gör jag',
  'Det här gör vården',
  'Om jag blir sämre',
  'Mina fasta kontakter',
  'När vi följer upp',
  'Mina andra planer',
  'Så kom vi överens',
  'Vem har läst mitt kontrakt',
];

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser?.close());

async function openContract(persona, query = 'patient=' + persona.id, viewport) {
  const page = await openPage(browser, viewport);
  await page.goto(`${BASE_URL}/mitt-patientkontrakt/?${query}`);
  await page.locator('#overenskommelse').waitFor();
  return page;
}

for (const persona of PERSONAS) {
  describe(persona.name, () => {
    test('shows every part of the contract, the next step and its promised date', async () => {
      const page = await openContract(persona);

      assert.deepEqual(await page.locator('main h2:visible').allInnerTexts(), SECTIONS);
      assert.match(await page.locator('main').innerText(), new RegExp(persona.name));
      const nextStep = page.locator('#nasta-steg li', { hasText: persona.nextStep.text });
      assert.equal(await nextStep.locator(`time[datetime="${persona.nextStep.date}"]`).innerText(), persona.nextStep.shown);
      const passed = persona.nextStep.date < today();
      assert.equal(await nextStep.getByText('Datumet har passerat').count(), passed ? 1 : 0,
        `the promised date ${persona.nextStep.date} is ${passed ? '' : 'not '}passed and must ${passed ? '' : 'not '}be marked so`);
      for (const contact of persona.contacts) {
        assert.match(await page.locator('#kontakter').innerText(), new RegExp(contact));
      }
      assert.match(await page.locator('#kontakter').innerText(), /Så når du oss/);
      if (persona.otherPlan) {
        assert.match(await page.locator('#andra-planer').innerText(), new RegExp(persona.otherPlan));
      }
      assert.match(await page.locator('#overenskommelse').innerText(), /Du godkände kontraktet \d+ \w+ \d{4}/);
      assert.match(await page.locator('#vem-har-last').innerText(), /loggen när inloggning och behörighetskontroll är påslagna/);
      await expectHeadingOrder(page);
      await expectAccessibleNames(page);
      await expectContrast(page);
      assert.deepEqual(page.scriptErrors, []);
      await screenshot(page, `mitt-patientkontrakt-${persona.id}`);
    });

    test('prints the contract as a PDF, in normal and in large type', async () => {
      const page = await openContract(persona);
      const sizes = [];
      for (const id of ['#skriv-ut', '#skriv-ut-stor']) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.locator(id).click()]);
        assert.match(download.suggestedFilename(), /^patientkontrakt-version-\d+(-stor-text)?\.pdf$/);
        const path = await download.path();
        const bytes = readFileSync(path);
        assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
        sizes.push(bytes.length);
      }
      assert.ok(sizes.every((size) => size > 10000), `PDFs of ${sizes} bytes hold the embedded fonts`);
      assert.deepEqual(page.scriptErrors, []);
    });

    test('the agreement confirmed with the keyboard is stored as a new version', async () => {
      const page = await openContract(persona);
      const before = await fhir(`/CarePlan/${persona.id}-patientkontrakt`);
      assert.equal(await page.locator('#kontraktsversion').innerText(), before.meta.versionId);

      await focusByKeyboard(page, '#godkann');
      await page.keyboard.press('Enter');
      await page.getByText('Ditt godkännande är sparat').waitFor();

      const after = await fhir(`/CarePlan/${persona.id}-patientkontrakt`);
      assert.equal(Number(after.meta.versionId), Number(before.meta.versionId) + 1);
      assert.equal(await page.locator('#kontraktsversion').innerText(), after.meta.versionId);
      const agreement = after.extension.find((e) => e.url.endsWith('/pk-patient-agreement'));
      const part = (name) => agreement.extension.find((e) => e.url === name);
      assert.equal(part('method').valueCoding.code, 'digital');
      assert.equal(part('agreedBy').valueReference.reference, `Patient/${persona.id}`);
      assert.equal(new Date(part('date').valueDateTime).toDateString(), new Date().toDateString());
      assert.match(await page.locator('#overenskommelse').innerText(), /Du godkände kontraktet .* digitalt/);
      assert.deepEqual(page.scriptErrors, []);
      await screenshot(page, `mitt-patientkontrakt-${persona.id}-godkant`);
    });

    test('is found by personnummer and fits a 360 px wide phone', async () => {
      const page = await openContract(persona, 'personnummer=' + persona.personnummer, { width: 360, height: 780 });

      assert.match(await page.locator('main').innerText(), new RegExp(persona.name));
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `the page is ${width} px wide on a 360 px screen`);
      await screenshot(page, `mitt-patientkontrakt-${persona.id}-mobil`);
    });
  });
}

test('a stale version is refused and explained, and nothing is overwritten', async () => {
  const persona = PERSONAS[2];
  const page = await openContract(persona);
  const shown = await fhir(`/CarePlan/${persona.id}-patientkontrakt`);
  // Care changes the contract after the page was loaded.
  await fhir(`/CarePlan/${persona.id}-patientkontrakt`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/fhir+json', 'If-Match': `W/"${shown.meta.versionId}"` },
    body: JSON.stringify({ ...shown, description: shown.description + ' Ändrat av vården.' }),
  });

  await page.locator('#godkann').click();
  await page.getByText('Vården har ändrat kontraktet sedan du öppnade sidan').waitFor();

  const stored = await fhir(`/CarePlan/${persona.id}-patientkontrakt`);
  assert.equal(Number(stored.meta.versionId), Number(shown.meta.versionId) + 1);
});

test('after care changes a promise the page shows what changed, and the patient agrees again', async () => {
  const persona = PERSONAS[0];
  const path = `/CarePlan/${persona.id}-patientkontrakt`;
  const shown = await fhir(path);
  const escalation = shown.activity.find((a) => a.detail.code.coding.some((c) => c.code === 'escalation')).detail;
  const before = escalation.description;
  escalation.description = 'Ring mottagningen direkt om det blir sämre, dygnet runt.';
  await fhir(path, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(shown) });
  const changed = await fhir(path);
  assert.equal(changed.extension.find((e) => e.url.endsWith('/pk-agreement-pending')).valueBoolean, true);

  const page = await openContract(persona);
  await page.locator('#andringar h3').first().waitFor();
  assert.match(await page.locator('#vantar-pa-godkannande').innerText(), /Vården har ändrat ditt kontrakt/);
  assert.match(await page.locator('#nytt').innerText(), /Om jag blir sämre: Ring mottagningen direkt/);
  assert.ok((await page.locator('#borttaget').innerText()).includes(before));
  assert.equal(await page.locator('#godkann').innerText(), 'Jag godkänner det ändrade kontraktet');
  await expectAccessibleNames(page);
  await expectContrast(page);
  await screenshot(page, `mitt-patientkontrakt-${persona.id}-andrat`);

  await page.locator('#godkann').click();
  await page.getByText('Ditt godkännande är sparat').waitFor();

  const agreed = await fhir(path);
  assert.equal(agreed.extension.find((e) => e.url.endsWith('/pk-agreement-pending')).valueBoolean, false);
  const agreement = agreed.extension.find((e) => e.url.endsWith('/pk-patient-agreement'));
  assert.equal(agreement.extension.find((e) => e.url === 'version').valueId, changed.meta.versionId);
  assert.equal(await page.locator('#vantar-pa-godkannande').count(), 0);
  assert.equal(await page.locator('#andringar').innerText(), '');
  assert.match(await page.locator('#overenskommelse').innerText(), new RegExp(`\\(version ${changed.meta.versionId}\\)`));
  assert.deepEqual(page.scriptErrors, []);
});

test('without a patient the page asks for a personnummer', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/mitt-patientkontrakt/`);
  await page.getByLabel('Personnummer (12 siffror)').fill(PERSONAS[1].personnummer);
  await page.getByRole('button', { name: 'Visa kontraktet' }).click();
  await page.locator('#overenskommelse').waitFor();

  assert.match(await page.locator('main').innerText(), new RegExp(PERSONAS[1].name));
});
