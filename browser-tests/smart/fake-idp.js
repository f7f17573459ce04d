// A stand-in identity provider for the SMART launch test: an authorization endpoint that logs the
// user in at once and sends the browser back with a code, and a token endpoint that checks the
// code and its PKCE verifier and answers a JWT signed with the test issuer's key, the one the
// server under test trusts (fhir-server/src/test/resources/auth/).
import { createHash, createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const KEY = readFileSync(new URL('../../fhir-server/src/test/resources/auth/issuer-private-key.pem', import.meta.url));
export const ISSUER = 'https://idp.test.patientkontrakt.se/realms/region';
export const AUDIENCE = 'patientkontrakt-fhir';

const base64url = (data) => Buffer.from(data).toString('base64url');

/** A signed access token with these claims besides issuer, audience and expiry. */
export function signToken(claims) {
  const now = Math.floor(Date.now() / 1000);
  const body = { iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, jti: randomUUID(), ...claims };
  const unsigned = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' })) + '.' + base64url(JSON.stringify(body));
  return unsigned + '.' + createSign('RSA-SHA256').update(unsigned).sign(KEY, 'base64url');
}

/**
 * Starts the identity provider on a port. `user` is who logs in next: {sub, fhirUser, patient?}.
 * `authorizations` and `tokenRequests` record what the pages sent.
 */
export function startIdp(port) {
  const idp = { user: null, authorizations: [], tokenRequests: [] };
  const codes = new Map();
  idp.server = createServer((request, response) => {
    const url = new URL(request.url, `http://${request.headers.host}`);
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (url.pathname === '/authorize') {
      const query = Object.fromEntries(url.searchParams);
      idp.authorizations.push(query);
      const code = randomUUID();
      codes.set(code, { ...query, user: idp.user });
      const back = new URL(query.redirect_uri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', query.state);
      response.writeHead(302, { Location: back.href }).end();
      return;
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        idp.tokenRequests.push(form);
        const grant = codes.get(form.code);
        codes.delete(form.code);
        const verified = grant && form.grant_type === 'authorization_code' && form.client_id === grant.client_id
          && form.redirect_uri === grant.redirect_uri
          && createHash('sha256').update(form.code_verifier || '').digest('base64url') === grant.code_challenge;
        if (!verified) {
          response.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        const { patient, ...claims } = grant.user;
        const token = signToken({ ...claims, azp: grant.client_id, scope: grant.scope, ...(patient ? { patient } : {}) });
        response.writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300, scope: grant.scope, ...(patient ? { patient } : {}) }));
      });
      return;
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve) => idp.server.listen(port, '127.0.0.1', () => resolve(idp)));
}
