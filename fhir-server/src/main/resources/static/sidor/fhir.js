// The pages' FHIR client: plain fetch against this server's /fhir, with a bearer token when access
// control is on. The token is obtained by the SMART App Launch standalone flow, a public client
// with authorization code and PKCE (https://hl7.org/fhir/smart-app-launch/app-launch.html).
// Without access control (/fhir/.well-known/smart-configuration answers 404) no token is needed.

export const FHIR_BASE = new URL('/fhir', location.origin).href;
const FHIR_JSON = 'application/fhir+json';
const TOKEN_KEY = 'patientkontrakt.token';
const LAUNCH_KEY = 'patientkontrakt.launch';

export const PK = 'https://patientkontrakt.se/fhir/';
export const EXT_AGREEMENT = PK + 'StructureDefinition/pk-patient-agreement';
export const EXT_AGREEMENT_PENDING = PK + 'StructureDefinition/pk-agreement-pending';
export const ACTIVITY_KIND = PK + 'CodeSystem/pk-activity-kind';
export const FAST_KONTAKT = 'https://terminologitjansten.inera.se/inera-kodverksforvaltning/kodverk/kv_typ_av_fast_kontakt';

let session = null;

/** A failed FHIR call: the HTTP status and what the server's OperationOutcome said. */
export class FhirError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Makes sure the page may call the API. Resolves to {access: 'open'} without access control, or to
 * {access: 'token', patient} once a token is held; otherwise sends the browser to the identity
 * provider (the promise then never resolves). `scope` is what this page asks for.
 */
export async function connect(scope) {
  const smart = await smartConfiguration();
  if (!smart) {
    session = { access: 'open' };
    return session;
  }
  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('error')) {
    session = await finishLaunch(smart, params);
    return session;
  }
  const stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
  if (stored && stored.expiresAt > Date.now() + 10_000) {
    session = stored;
    return session;
  }
  await startLaunch(smart, scope);
  return new Promise(() => {});
}

async function smartConfiguration() {
  const response = await fetch(FHIR_BASE + '/.well-known/smart-configuration', { headers: { Accept: 'application/json' } });
  if (response.status === 404) {
    return null;
  }
  if (!response.ok) {
    throw new FhirError(response.status, 'Servern svarade inte på frågan om inloggning.');
  }
  return response.json();
}

async function startLaunch(smart, scope) {
  const app = await (await fetch('/sidor/smart-app.json')).json();
  const verifier = randomString(64);
  const state = randomString(24);
  const redirectUri = location.origin + location.pathname;
  sessionStorage.setItem(LAUNCH_KEY, JSON.stringify({ state, verifier, redirectUri, clientId: app.client_id, search: location.search }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const authorize = new URL(smart.authorization_endpoint);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: redirectUri,
    scope,
    state,
    aud: FHIR_BASE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(authorize.href);
}

async function finishLaunch(smart, params) {
  const launch = JSON.parse(sessionStorage.getItem(LAUNCH_KEY) || 'null');
  sessionStorage.removeItem(LAUNCH_KEY);
  if (params.has('error')) {
    throw new FhirError(401, 'Inloggningen avbröts: ' + (params.get('error_description') || params.get('error')));
  }
  if (!launch || launch.state !== params.get('state')) {
    throw new FhirError(401, 'Inloggningen kunde inte kontrolleras (fel state). Ladda om sidan och försök igen.');
  }
  const response = await fetch(smart.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: launch.redirectUri,
      client_id: launch.clientId,
      code_verifier: launch.verifier,
    }),
  });
  if (!response.ok) {
    throw new FhirError(response.status, 'Inloggningen gav ingen åtkomst (token-anropet svarade ' + response.status + ').');
  }
  const token = await response.json();
  const held = {
    access: 'token',
    accessToken: token.access_token,
    expiresAt: Date.now() + (token.expires_in || 300) * 1000,
    patient: token.patient || patientOf(token.id_token),
    scope: token.scope || '',
  };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(held));
  // Back to the address the page was opened with, without code and state.
  history.replaceState(null, '', location.pathname + (launch.search || ''));
  return held;
}

/**
 * The patient a login is for when the token response does not say (SMART's `patient`): a plain
 * OpenID Connect provider, such as the demo's, names the user in the ID token's `fhirUser` claim
 * (SMART's `fhirUser` scope), which for a patient is their Patient. The ID token came straight from
 * the token endpoint, so its signature need not be checked (OpenID Connect Core 3.1.3.7); the server
 * holds the access token to its patient whatever the page asks for.
 */
function patientOf(idToken) {
  try {
    const payload = idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
    return /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(claims.fhirUser || '')?.[1] || null;
  } catch {
    return null;
  }
}

function randomString(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Whether the page holds a token, i.e. access control and the access log are on. */
export function accessControlOn() {
  return session?.access === 'token';
}

/** The patient the token was issued for (SMART `patient` in the token response), if any. */
export function tokenPatient() {
  return session?.patient || null;
}

/** A FHIR call relative to /fhir; resolves to {resource, etag}; throws FhirError on 4xx/5xx. */
export async function fhir(path, { method = 'GET', body, contentType = FHIR_JSON, headers = {} } = {}) {
  const request = { method, headers: { Accept: FHIR_JSON, ...headers } };
  if (session?.accessToken) {
    request.headers.Authorization = 'Bearer ' + session.accessToken;
  }
  if (body !== undefined) {
    request.headers['Content-Type'] = contentType;
    request.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(FHIR_BASE + path, request);
  const text = await response.text();
  const resource = text ? JSON.parse(text) : null;
  if (response.status === 401 && session?.access === 'token') {
    // The token has expired or was revoked: forget it, so that a reload logs in again.
    sessionStorage.removeItem(TOKEN_KEY);
    throw new FhirError(401, 'Din inloggning gäller inte längre. Ladda om sidan för att logga in igen.');
  }
  if (!response.ok) {
    const said = resource?.issue?.map((i) => i.diagnostics).filter(Boolean).join(' ');
    throw new FhirError(response.status, said || 'Servern svarade ' + response.status + '.');
  }
  return { resource, etag: response.headers.get('ETag') };
}

/**
 * A non-FHIR answer relative to /fhir (e.g. Accept: application/pdf), as a Blob; throws FhirError
 * on 4xx/5xx with what the OperationOutcome said.
 */
export async function fhirBlob(path, accept) {
  const request = { headers: { Accept: accept } };
  if (session?.accessToken) {
    request.headers.Authorization = 'Bearer ' + session.accessToken;
  }
  const response = await fetch(FHIR_BASE + path, request);
  if (!response.ok) {
    let said = '';
    try {
      said = JSON.parse(await response.text())?.issue?.map((i) => i.diagnostics).filter(Boolean).join(' ');
    } catch {
      // not an OperationOutcome: the status says it
    }
    throw new FhirError(response.status, said || 'Servern svarade ' + response.status + '.');
  }
  return response.blob();
}

/** Every resource of a searchset, with the included ones reachable by "Type/id". */
export function bundleIndex(bundle) {
  const byReference = new Map();
  const matches = [];
  for (const entry of bundle.entry || []) {
    const r = entry.resource;
    byReference.set(r.resourceType + '/' + r.id, r);
    if (entry.search?.mode !== 'include') {
      matches.push(r);
    }
  }
  return { matches, get: (reference) => (reference ? byReference.get(reference.reference ?? reference) : undefined) };
}

export function codeOf(concept, system) {
  return (concept?.coding || []).find((c) => !system || c.system === system)?.code;
}

export function extension(resource, url) {
  return (resource?.extension || []).find((e) => e.url === url);
}

export function humanName(patient) {
  const name = patient?.name?.[0];
  return name ? [...(name.given || []), name.family].filter(Boolean).join(' ') : '';
}

const longDate = new Intl.DateTimeFormat('sv-SE', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' });

/** "16 november 2026" for a FHIR date or dateTime. */
export function swedishDate(value) {
  if (!value) {
    return '';
  }
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(value + 'T12:00:00') : new Date(value);
  return longDate.format(date);
}

/** Today in Stockholm as YYYY-MM-DD, the form FHIR dates are compared in. */
export function today() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date());
}

/** Whether a contact team still stands: one made inactive (or entered in error) has no fixed contacts in force. */
export function teamInForce(team) {
  return !['inactive', 'entered-in-error'].includes(team?.status);
}

/** Whether a Period holds today (an open end runs on). */
export function inForce(period) {
  const now = today();
  return (!period?.start || period.start.slice(0, 10) <= now) && (!period?.end || period.end.slice(0, 10) >= now);
}

/** Whole days from today to a FHIR date (negative when it has passed). */
export function daysFromToday(date) {
  return Math.round((Date.parse(date.slice(0, 10)) - Date.parse(today())) / 86_400_000);
}

/** A DOM element with attributes and children; strings become text, never HTML. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'style') {
      // Set through the element's style object: the pages' Content-Security-Policy (style-src
      // 'self') refuses a style attribute, but not styles set by the page's own script.
      Object.assign(element.style, value);
      continue;
    }
    element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Shows a problem to the user in the page's status region. */
export function showError(region, error) {
  region.replaceChildren(el('p', { class: 'fel' }, error instanceof FhirError ? error.message : 'Något gick fel: ' + error.message));
}
