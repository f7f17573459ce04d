// The pages with access control on: each gets its token by the SMART standalone launch
// (authorization code + PKCE) from a stand-in identity provider, sends it on every /fhir call,
// and the patient page then shows the access log. Needs the server started with that provider's
// endpoints (scripts/run-browser-tests.sh does it) and IDP_PORT set to the provider's port.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, fhir, launch, openPage, screenshot } from '../tests/browser.js';
import { signToken, startIdp } from './fake-idp.js';

// Care tokens act under a commission (medarbetaruppdrag): unit and care giver by HSA-id, and for a
// person also their own HSA-id and the purpose, in the claims Inera's identity provider uses.
const UNIT = { healthCareUnitHsaId: 'SE2321000073-VCOS01', healthCareProviderHsaId: 'SE2321000073' };
const EHR = () => ({ Authorization: 'Bearer ' + signToken({ sub: 'ehr-integration', azp: 'cosmic-ehr', scope: 'system/*.cruds', ...UNIT }) });

let browser;
let idp;
before(async () => {
  browser = await launch();
  idp = await startIdp(Number(process.env.IDP_PORT));
});
after(async () => {
  await browser?.close();
  idp?.server.close();
});

/** Every /fhir request the page makes, with whether it carried a bearer token. */
function recordFhirCalls(page) {
  const calls = [];
  page.on('request', (request) => {
    if (request.url().startsWith(BASE_URL + '/fhir/')) {
      calls.push({ url: request.url(), bearer: /^Bearer ey/.test(request.headers().authorization || '') });
    }
  });
  return calls;
}

test('the patient logs in, sees their own contract and who has read it, and confirms it', async () => {
  idp.user = { sub: 'patient-goran', fhirUser: BASE_URL + '/fhir/Patient/goran-karlsson', patient: 'goran-karlsson' };
  const page = await openPage(browser);
  const calls = recordFhirCalls(page);

  await page.goto(`${BASE_URL}/mitt-patientkontrakt/`);
  await page.locator('#overenskommelse').waitFor();

  const [authorization] = idp.authorizations.slice(-1);
  assert.equal(authorization.client_id, 'patientkontrakt-sidor');
  assert.equal(authorization.response_type, 'code');
  assert.equal(authorization.code_challenge_method, 'S256');
  assert.equal(authorization.aud, BASE_URL + '/fhir');
  assert.equal(authorization.redirect_uri, BASE_URL + '/mitt-patientkontrakt/');
  assert.match(authorization.scope, /launch\/patient .*patient\/CarePlan\.u/);
  assert.ok(idp.tokenRequests.at(-1).code_verifier, 'the code was exchanged with its PKCE verifier');
  assert.doesNotMatch(page.url(), /code=|state=/);
  assert.match(await page.locator('main').innerText(), /Göran Karlsson/);
  const data = calls.filter((c) => !c.url.includes('/.well-known/'));
  assert.ok(data.length >= 2, 'the portal view and the access log were fetched');
  assert.deepEqual(data.filter((c) => !c.bearer), [], 'every data call carried the token');

  const log = page.locator('#vem-har-last table');
  await log.waitFor();
  assert.ok(await log.locator('tbody tr').count() >= 1, 'the portal view just read is in the access log');
  assert.match(await log.innerText(), /Du själv\s+(öppnade översikten|läste|sökte)/);

  const version = Number(await page.locator('#kontraktsversion').innerText());
  await page.locator('#godkann').click();
  await page.getByText('Ditt godkännande är sparat').waitFor();
  const stored = await fhir('/CarePlan/goran-karlsson-patientkontrakt', { headers: EHR() });
  assert.equal(Number(stored.meta.versionId), version + 1);
  assert.deepEqual(page.scriptErrors, []);
  await screenshot(page, 'inloggad-mitt-patientkontrakt-goran-karlsson');
});

test('care staff log in to the work list and see the overdue contract and the measures', async () => {
  idp.user = {
    sub: 'hsa-SE2321000073-E00101',
    fhirUser: 'Practitioner/erik-holm',
    employeeHsaId: 'SE2321000073-E00101',
    healthCareUnitHsaId: 'SE2321000073-ORTO01',
    healthCareProviderHsaId: 'SE2321000073',
    commissionPurpose: 'Vård och behandling',
  };
  const page = await openPage(browser);
  const calls = recordFhirCalls(page);

  await page.goto(`${BASE_URL}/arbetslista/?dagar=0`);
  await page.locator('#arbetslista').waitFor();
  await page.locator('#matt figure').first().waitFor();

  assert.match(idp.authorizations.at(-1).scope, /user\/\*\.read/);
  assert.equal(idp.authorizations.at(-1).redirect_uri, BASE_URL + '/arbetslista/');
  assert.match(await page.locator('#arbetslista').innerText(), /Göran Karlsson[\s\S]*Försenat/);
  assert.deepEqual(calls.filter((c) => !c.url.includes('/.well-known/') && !c.bearer), []);
  assert.deepEqual(page.scriptErrors, []);
  await screenshot(page, 'inloggad-arbetslista');
});

test('without logging in the data stays closed', async () => {
  const response = await fetch(BASE_URL + '/fhir/Patient/goran-karlsson/$patientkontrakt');
  assert.equal(response.status, 401);
});
