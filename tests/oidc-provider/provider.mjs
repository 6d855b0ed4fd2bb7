// The OpenID Provider the upstream-login tests sign in at: oidc-provider (OpenID-certified),
// with a plain login page of ours in front of it and, for the clients named `tamper-*`, a token
// response whose ID token is altered the way an attacker or a broken provider would.
//
// Protocol with the test (tests/api/oidc/provider.rs): prints {"issuer": …} once it listens on
// a free loopback port, reads one JSON line {"redirect_uris": […]} (the server under test is
// started in between), prints "ready", and exits when its stdin closes.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const PASSWORD = 'provider-password';
const SECRET = 'provider-client-secret';
const ACCOUNTS = {
  alice: {
    sub: '1001-alice', email: 'alice@example.com', email_verified: true,
    name: 'Alice Example', preferred_username: 'alice', groups: ['staff', 'ops'],
  },
  bob: {
    sub: '1002-bob', email: 'bob@example.com', email_verified: false,
    name: 'Bob Example', preferred_username: 'bob', groups: ['staff'],
  },
};

const signing = await jose.generateKeyPair('RS256', { extractable: true });
const attacker = await jose.generateKeyPair('RS256', { extractable: true });
// The key the provider "rotates to": published from the second JWKS request on.
const rotated = await jose.generateKeyPair('RS256', { extractable: true });
const rotatedJwk = { ...(await jose.exportJWK(rotated.publicKey)), kid: 'op-key-2', alg: 'RS256', use: 'sig' };
let jwksRequests = 0;
const signingJwk = { ...(await jose.exportJWK(signing.privateKey)), kid: 'op-key-1', alg: 'RS256', use: 'sig' };

const now = () => Math.floor(Date.now() / 1000);
/** The provider's own claims, changed by `change`, signed again (by `key`, naming `kid`). */
function resign(idToken, change, key = signing.privateKey, kid = 'op-key-1') {
  return new jose.SignJWT({ ...jose.decodeJwt(idToken), ...change })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(key);
}
const TAMPER = {
  'tamper-nonce': (t) => resign(t, { nonce: 'not-the-nonce-that-was-sent' }),
  'tamper-key': (t) => resign(t, {}, attacker.privateKey),
  'tamper-expired': (t) => resign(t, { iat: now() - 7200, exp: now() - 3600 }),
  'tamper-aud': (t) => resign(t, { aud: 'another-client' }),
  'tamper-azp': (t) => resign(t, { azp: 'another-client' }),
  'tamper-none': (t) => new jose.UnsecuredJWT(jose.decodeJwt(t)).encode(),
  // Not an attack: the provider signs with a key published after the client first read the keys.
  rotated: (t) => resign(t, {}, rotated.privateKey, 'op-key-2'),
};

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
console.log(JSON.stringify({ issuer }));

const lines = createInterface({ input: process.stdin });
lines.on('close', () => process.exit(0));
const { redirect_uris } = JSON.parse(await new Promise((resolve) => lines.once('line', resolve)));

const client = (client_id) => ({
  client_id, client_secret: SECRET, redirect_uris,
  grant_types: ['authorization_code'], response_types: ['code'],
});
const provider = new Provider(issuer, {
  clients: ['mcp-oauth', ...Object.keys(TAMPER)].map(client),
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['test-cookie-key'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // The ID token carries the claims (a code-flow ID token has only `sub` otherwise).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = Object.values(ACCOUNTS).find((a) => a.sub === id);
    return account && { accountId: id, claims: async () => ({ ...account }) };
  },
});
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'jwks' && jwksRequests++ > 0) {
    ctx.body = { keys: [...ctx.body.keys, rotatedJwk] };
  }
  const tamper = TAMPER[ctx.oidc?.client?.clientId];
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.id_token && tamper) {
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token) };
  }
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function loginPage(res, uid, status, error) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>Test IdP</title><h1>Test IdP sign-in</h1>
${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<input id="login" name="login" autofocus><input id="password" name="password" type="password">
<button id="submit" type="submit">Sign in</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button id="abort">Cancel</button></form>`);
}
const body = async (req) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
};

/** Our login page, then oidc-provider's own finish: login and consent at once. */
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (!action) return loginPage(res, uid, 200);
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The <b>user</b> said "no"',
    }, { mergeWithLastSubmission: false });
  }
  const form = await body(req);
  const account = ACCOUNTS[form.get('login')];
  if (!account || form.get('password') !== PASSWORD) return loginPage(res, uid, 401, 'Wrong login');
  const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, {
    login: { accountId: account.sub }, consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(?:\/(login|abort))?$/);
  if (!match) return callback(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${error.message}`);
  });
});
console.log('ready');
