// Local OpenID Connect provider for integration tests.
//
// Wraps node-oidc-provider (OpenID Certified) with a tiny login page that
// checks passwords from a JSON config, and auto-grants consent.
//
// Usage: node tests/oidc/provider.mjs CONFIG.json
// See tests/oidc/README.md for the config format and the page contract.

import { randomBytes, generateKeyPairSync, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

// stdout is reserved for the single "ready" line. oidc-provider prints its
// notices with console.info, so send all console output to stderr.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

function die(msg) {
  process.stderr.write(`oidc-provider: ${msg}\n`);
  process.exit(2);
}

if (process.argv.length !== 3) die('usage: node tests/oidc/provider.mjs CONFIG.json');

let config;
try {
  config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (err) {
  die(`cannot read config ${process.argv[2]}: ${err.message}`);
}

const port = Number(config.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) die('config.port must be a TCP port number');
if (!Array.isArray(config.clients) || config.clients.length === 0) die('config.clients must be a non-empty array');
if (!Array.isArray(config.accounts)) die('config.accounts must be an array');

const HOST = '127.0.0.1';
const issuer = `http://${HOST}:${port}`;

// ---------------------------------------------------------------- accounts --

const accounts = new Map();
for (const a of config.accounts) {
  if (typeof a.sub !== 'string' || !a.sub) die('every account needs a non-empty string "sub"');
  if (typeof a.password !== 'string') die(`account ${a.sub}: "password" must be a string`);
  accounts.set(a.sub, a);
}

const digest = (s) => createHash('sha256').update(String(s), 'utf8').digest();

// Constant-time check; an unknown user still costs one comparison.
function checkPassword(login, password) {
  const account = accounts.get(login);
  const ok = timingSafeEqual(digest(password), digest(account ? account.password : randomBytes(16)));
  return account && ok ? account : undefined;
}

// --------------------------------------------------------------- claims ----

const PROFILE_CLAIMS = [
  'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
  'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
];
const STANDARD = new Set([
  'sub', ...PROFILE_CLAIMS, 'email', 'email_verified', 'phone_number', 'phone_number_verified', 'address',
]);
// Project-specific claims: doorbraak_role plus any other non-standard claim
// found on a configured account. They are released with scope `profile`
// (so plain `openid profile` is enough) and with the custom scope `doorbraak`.
const custom = new Set(['doorbraak_role']);
for (const a of accounts.values()) {
  for (const k of Object.keys(a.claims ?? {})) if (!STANDARD.has(k)) custom.add(k);
}

const claims = {
  acr: null,
  auth_time: null,
  sid: null,
  iss: null,
  openid: ['sub'],
  profile: [...PROFILE_CLAIMS, ...custom],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
  doorbraak: [...custom],
};

// ------------------------------------------------------------ signing key --

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `test-${randomBytes(6).toString('hex')}`,
  use: 'sig',
  alg: 'RS256',
};

// ------------------------------------------------------------- provider ----

const clients = config.clients.map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
  id_token_signed_response_alg: 'RS256',
  ...c,
}));

// JSON API audiences: access tokens for them are JWTs (resource indicators), for people and
// for service accounts (client credentials). A client's `doorbraak_role` is its service
// account's role; its `access_token_ttl` (seconds) shortens its tokens' life.
const audiences = Array.isArray(config.api_audiences) ? config.api_audiences : [];

const provider = new Provider(issuer, {
  clients,
  extraClientMetadata: { properties: ['doorbraak_role', 'access_token_ttl'] },
  async extraTokenClaims(_ctx, token) {
    if (token.kind === 'ClientCredentials') {
      const client = await provider.Client.find(token.clientId);
      return client?.doorbraak_role ? { doorbraak_role: client.doorbraak_role } : undefined;
    }
    const account = token.accountId ? accounts.get(token.accountId) : undefined;
    const role = account?.claims?.doorbraak_role;
    return role ? { doorbraak_role: role } : undefined;
  },
  jwks: { keys: [signingJwk] },
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    // Plain http: SameSite=None cookies would need Secure, so use Lax for both.
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  claims,
  conformIdTokenClaims: false, // scope-requested claims go straight into the ID token
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  responseTypes: ['code'],
  pkce: {
    methods: ['S256'],
    required: () => config.pkce_required !== false,
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: audiences.length > 0 },
    resourceIndicators: {
      enabled: audiences.length > 0,
      defaultResource: () => audiences[0],
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx, resourceIndicator, client) {
        if (!audiences.includes(resourceIndicator)) throw new errors.InvalidTarget();
        return {
          scope: 'api',
          audience: resourceIndicator,
          accessTokenTTL: client.access_token_ttl ?? 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 300,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
    RefreshToken: 86400,
  },
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { ...(account.claims ?? {}), sub };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1>\n<dl id="error">${Object.entries(out)
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  },
});

// --------------------------------------------------------- interactions ----

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage(uid, clientId, loginHint, error) {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  return page('Sign in', `<h1>Sign in</h1>
<p>to continue to <strong id="client">${esc(clientId)}</strong></p>
${error ? `<p id="error" role="alert">${esc(error)}</p>\n` : ''}<form id="login-form" method="post" action="${esc(action)}">
<p><label for="login">Username</label><br>
<input id="login" name="login" type="text" autocomplete="username" required${loginHint ? ` value="${esc(loginHint)}"` : ' autofocus'}></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required${loginHint ? ' autofocus' : ''}></p>
<p><button id="sign-in" type="submit">Sign in</button></p>
</form>
<p><a id="cancel" href="/interaction/${encodeURIComponent(uid)}/abort">Cancel</a></p>`);
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grant everything the authorization request asks for (test clients are
// first-party, so there is never a consent screen).
async function grantAll(details, accountId) {
  const { params, prompt } = details;
  let grant;
  if (details.grantId) grant = await provider.Grant.find(details.grantId);
  if (grant && (grant.accountId !== accountId || grant.clientId !== params.client_id)) grant = undefined;
  if (!grant) grant = new provider.Grant({ accountId, clientId: params.client_id });

  if (typeof params.scope === 'string') grant.addOIDCScope(params.scope);
  const d = prompt?.details ?? {};
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  if (d.missingResourceScopes) {
    for (const [indicator, scope] of Object.entries(d.missingResourceScopes)) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
  }
  if (typeof params.claims === 'string') {
    try {
      const requested = JSON.parse(params.claims);
      grant.addOIDCClaims([
        ...Object.keys(requested.id_token ?? {}),
        ...Object.keys(requested.userinfo ?? {}),
      ]);
    } catch { /* the provider itself rejects malformed claims parameters */ }
  }
  return grant.save();
}

async function handleInteraction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    return send(res, 400, page('Error', `<h1>Error</h1>\n<p id="error">${esc(err.message)}</p>`));
  }
  if (details.uid !== uid) {
    return send(res, 400, page('Error', '<h1>Error</h1>\n<p id="error">interaction mismatch</p>'));
  }
  const { prompt, params } = details;

  if (action === 'abort' && req.method === 'GET') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  if (action === 'login' && req.method === 'POST') {
    if (prompt.name !== 'login') return send(res, 400, page('Error', '<h1>Error</h1>\n<p id="error">not a login prompt</p>'));
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const account = checkPassword(login, form.get('password') ?? '');
    if (!account) {
      process.stderr.write(`oidc-provider: login refused for ${JSON.stringify(login)}\n`);
      return send(res, 401, loginPage(uid, params.client_id, login, 'Invalid username or password.'));
    }
    const grantId = await grantAll(details, account.sub);
    return provider.interactionFinished(req, res, {
      login: { accountId: account.sub },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  if (action === undefined && req.method === 'GET') {
    if (prompt.name === 'login') {
      return send(res, 200, loginPage(uid, params.client_id, params.login_hint, undefined));
    }
    if (prompt.name === 'consent') {
      const grantId = await grantAll(details, details.session.accountId);
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    return send(res, 501, page('Error', `<h1>Error</h1>\n<p id="error">unsupported prompt ${esc(prompt.name)}</p>`));
  }

  res.statusCode = 405;
  return res.end();
}

// --------------------------------------------------------------- server ----

const oidc = provider.callback();
const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, issuer);
  const m = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(pathname);
  if (!m) return oidc(req, res);
  return handleInteraction(req, res, decodeURIComponent(m[1]), m[2]).catch((err) => {
    process.stderr.write(`oidc-provider: interaction error: ${err.stack}\n`);
    if (!res.headersSent) send(res, 500, page('Error', '<h1>Error</h1>\n<p id="error">internal error</p>'));
    else res.end();
  });
});

server.on('error', (err) => die(`cannot listen on ${HOST}:${port}: ${err.message}`));
server.listen(port, HOST, () => {
  process.stdout.write(`oidc-provider ready ${issuer}\n`);
});

// -------------------------------------------------------------- shutdown ---

function shutdown() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
