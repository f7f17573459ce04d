// The demo (scripts/demo.sh): the pages log in through the real demo identity provider
// (mock-oauth2-server with demo-idp/config/personas.json), choosing a persona on its login page,
// and a system persona gets its token by client credentials. Needs the demo running and BASE_URL
// and IDP_URL (its issuer, e.g. http://localhost:8090/demo) set; scripts/run-demo-tests.sh does it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, screenshot } from '../tests/browser.js';

const IDP_URL = (process.env.IDP_URL || 'http://localhost:8090/demo').replace(/\/$/, '');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Every /fhir request the page makes, with whether it carried a bearer token. */
function recordFhirCalls(page) {
  const calls = [];
  page.on('request', (request) => {
    if (request.url().startsWith(BASE_URL + '/fhir/') && !request.url().includes('/.well-known/')) {
      calls.push({ url: request.url(), bearer: /^Bearer ey/.test(request.headers().authorization || '') });
    }
  });
  return calls;
}

/** The claims of the access token the page holds. */
async function heldTokenClaims(page) {
  const held = JSON.parse(await page.evaluate(() => sessionStorage.getItem('patientkontrakt.token')));
  return JSON.parse(Buffer.from(held.accessToken.split('.')[1], 'base64url').toString('utf8'));
}

/** Opens a page, which sends the browser to the identity provider, and logs in as the persona there. */
async function logInAs(page, address, persona) {
  await page.goto(address);
  await page.waitForURL((url) => url.href.startsWith(IDP_URL + '/authorize'));
  const choice = page.locator(`button[data-persona="${persona}"]`);
  await choice.waitFor();
  return choice;
}

test('Göran chooses himself on the login page and sees his own contract', async () => {
  const page = await openPage(browser);
  const calls = recordFhirCalls(page);

  const choice = await logInAs(page, `${BASE_URL}/mitt-patientkontrakt/`, 'goran-karlsson');
  const loginPage = await page.locator('main').innerText();
  for (const person of ['Göran Karlsson', 'Maria Lind', 'Fatima Hassan', 'Erik Holm']) {
    assert.match(loginPage, new RegExp(person), `the login page lists ${person}`);
  }
  assert.match(loginPage, /patientkontrakt-sidor/, 'the login page names the app that asks');
  await screenshot(page, 'demo-inloggning');
  await choice.click();

  await page.locator('#overenskommelse').waitFor();
  assert.equal(page.url(), BASE_URL + '/mitt-patientkontrakt/');
  assert.match(await page.locator('main').innerText(), /Göran Karlsson/);
  const claims = await heldTokenClaims(page);
  assert.equal(claims.iss, IDP_URL);
  assert.equal(claims.sub, 'patient-goran-karlsson');
  assert.equal(claims.patient, 'goran-karlsson');
  assert.equal(claims.azp, 'patientkontrakt-sidor');
  assert.ok(calls.length >= 2, 'the portal view and the access log were fetched');
  assert.deepEqual(calls.filter((c) => !c.bearer), [], 'every data call carried the token');
  const log = page.locator('#vem-har-last table');
  await log.waitFor();
  assert.match(await log.innerText(), /Du själv/);
  assert.deepEqual(page.scriptErrors, []);
  await screenshot(page, 'demo-mitt-patientkontrakt-goran-karlsson');
});

test('the nurse at Vårdcentralen Nybro logs in to the work list under her commission', async () => {
  const page = await openPage(browser);
  const calls = recordFhirCalls(page);

  const choice = await logInAs(page, `${BASE_URL}/arbetslista/?dagar=30`, 'maria-lind');
  await choice.click();

  await page.locator('#arbetslista').waitFor();
  await page.locator('#matt figure').first().waitFor();
  // Patientdatalagen: her unit owns Esther's contract; it takes no part in Göran's care.
  const worklist = await page.locator('#arbetslista').innerText();
  assert.match(worklist, /Esther Andersson/);
  assert.doesNotMatch(worklist, /Göran Karlsson/);
  const claims = await heldTokenClaims(page);
  assert.equal(claims.sub, 'hsa-SE2321000073-P4ML');
  assert.equal(claims.employeeHsaId, 'SE2321000073-P4ML');
  assert.equal(claims.healthCareUnitHsaId, 'SE2321000073-VCNY01');
  assert.equal(claims.healthCareProviderHsaId, 'SE2321000073');
  assert.equal(claims.commissionPurpose, 'Vård och behandling');
  assert.deepEqual(calls.filter((c) => !c.bearer), []);
  assert.deepEqual(page.scriptErrors, []);
  await screenshot(page, 'demo-arbetslista-maria-lind');
});

test('an EHR integration gets its token by client credentials, and without one the data stays closed', async () => {
  const response = await fetch(IDP_URL + '/token', {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'cosmic-ehr-vcny', client_secret: 'demo' }),
  });
  assert.equal(response.status, 200);
  const { access_token: token } = await response.json();

  // Under Patientdatalagen a care giver's system counts across patients what its own unit owns.
  const own = '_security=' + encodeURIComponent('https://patientkontrakt.se/fhir/CodeSystem/pk-owner-care-unit|SE2321000073-VCNY01');
  const contracts = await fetch(BASE_URL + '/fhir/CarePlan?_summary=count&' + own, { headers: { Authorization: 'Bearer ' + token } });
  assert.equal(contracts.status, 200);
  assert.ok((await contracts.json()).total >= 2, "Vårdcentralen Nybro's example contracts are loaded");
  const everyone = await fetch(BASE_URL + '/fhir/CarePlan?_summary=count', { headers: { Authorization: 'Bearer ' + token } });
  assert.equal(everyone.status, 403, 'a count across patients would count what it may not read');
  assert.equal((await fetch(BASE_URL + '/fhir/CarePlan')).status, 401);
});
