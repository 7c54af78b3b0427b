// A real OpenID Connect provider for the hub tests: npm oidc-provider (a certified OP) with
// test users, a `groups` claim and a login form of its own that checks passwords.
//
//   node tests/hub/oidc_provider.mjs CONFIG.json
//
// CONFIG.json:
//   {"port": 5556,
//    "client": {"client_id": "...", "client_secret": "...", "redirect_uris": ["http://127.0.0.1:8000/hub/oauth_callback"]},
//    "users": {"alice": {"password": "...", "groups": ["cta-consortium"], "email": "alice@example.org"}}}
//
// Prints one line "ready ISSUER" on stdout when it listens on 127.0.0.1. Nothing is mocked:
// discovery, authorization (with PKCE), token and userinfo endpoints are oidc-provider's own.
// Passwords and tokens are never printed.
import { generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const users = config.users;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', use: 'sig', alg: 'RS256' };

function findAccount(ctx, id) {
  const user = users[id];
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        preferred_username: id,
        name: user.name ?? id,
        email: user.email ?? `${id}@example.org`,
        email_verified: true,
        groups: user.groups ?? [],
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...config.client,
    },
  ],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  findAccount,
  jwks: { keys: [signingKey] },
  cookies: { keys: [config.cookie_key ?? 'ctanb-test-oidc-cookie-key-not-secret'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err.message));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, message = '') {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider: sign in</h1>
${message ? `<p id="error" role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>User name <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="sign-in">Sign in</button>
</form></body></html>`;
}

function passwordMatches(user, password) {
  const expected = Buffer.from(user?.password ?? '');
  const given = Buffer.from(password ?? '');
  // compare in constant time; an unknown user compares against an empty password and fails
  return expected.length > 0 && expected.length === given.length && timingSafeEqual(expected, given);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === 'POST' && req.url.endsWith('/login')) {
    const form = await readForm(req);
    const name = form.get('username') ?? '';
    if (!passwordMatches(users[name], form.get('password'))) {
      console.log(`login refused for ${JSON.stringify(name)}`);
      send(res, 200, loginPage(uid, 'Invalid user name or password.'));
      return;
    }
    console.log(`login accepted for ${JSON.stringify(name)}`);
    await provider.interactionFinished(req, res, { login: { accountId: name } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'login') {
    send(res, 200, loginPage(uid));
    return;
  }
  if (prompt.name === 'consent') {
    // The hub is this provider's only (first-party) client: consent is granted in code.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  send(res, 400, `unexpected prompt ${escape(prompt.name)}`);
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      console.error('interaction error:', err.message);
      if (!res.headersSent) send(res, 400, escape(err.message));
    });
  } else {
    callback(req, res);
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`ready ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
