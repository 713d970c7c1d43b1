// Loopback OpenID provider (panva/oidc-provider) dressed up as Kinde, for kinde-rs interop tests.
//
// Env:
//   PORT                         listen port on 127.0.0.1 (default 4010; 0 = pick a free one)
//   INTEROP_REDIRECT_URIS        comma-separated registered redirect URIs
//                                (default http://127.0.0.1:3000/callback)
//   INTEROP_POST_LOGOUT_URIS     comma-separated post-logout redirect URIs (default http://127.0.0.1:3000/)
//   INTEROP_CLIENT_ID / INTEROP_CLIENT_SECRET / INTEROP_AUDIENCE  (defaults interop-client / interop-secret / interop-api)
//   INTEROP_ACCESS_TTL / INTEROP_REFRESH_TTL  seconds (defaults 300 / 86400)
//   INTEROP_STRICT_REDIRECTS=1   only accept the registered redirect URIs exactly
//   INTEROP_INTERACTIVE=1        oidc-provider's own login and consent pages (devInteractions),
//                                where a person (or the browser suite) types a login and
//                                clicks; the login `user-1` is the interop account. Default:
//                                every interaction finishes at once as user-1.
//
// Prints exactly one line "READY <issuer>" on stdout once listening. Everything else goes to stderr.

import * as http from 'node:http';
import * as crypto from 'node:crypto';
import Provider, { interactionPolicy } from 'oidc-provider';

const log = (...args) => console.error('[interop]', ...args);

const CLIENT_ID = process.env.INTEROP_CLIENT_ID || 'interop-client';
const CLIENT_SECRET = process.env.INTEROP_CLIENT_SECRET || 'interop-secret';
const AUDIENCE = process.env.INTEROP_AUDIENCE || 'interop-api';
// oidc-provider wants resource indicators to be absolute URIs; the token's `aud` is AUDIENCE.
const RESOURCE = `urn:interop:${AUDIENCE}`;
const SCOPE = 'openid profile email offline';
const ACCESS_TTL = Number(process.env.INTEROP_ACCESS_TTL || 300);
const REFRESH_TTL = Number(process.env.INTEROP_REFRESH_TTL || 86400);
const STRICT_REDIRECTS = process.env.INTEROP_STRICT_REDIRECTS === '1';
const INTERACTIVE = process.env.INTEROP_INTERACTIVE === '1';
const ACCOUNT_ID = 'user-1';

const splitList = (v, dflt) => (v || dflt).split(',').map((s) => s.trim()).filter(Boolean);
const REDIRECT_URIS = splitList(process.env.INTEROP_REDIRECT_URIS, 'http://127.0.0.1:3000/callback');
const POST_LOGOUT_URIS = splitList(process.env.INTEROP_POST_LOGOUT_URIS, 'http://127.0.0.1:3000/');

// Any http loopback URI, any port, whose path ends in "callback" (e.g. /callback, /api/auth/kinde_callback).
// The Rust test apps bind random ports, so exact registration is impossible.
function loopbackCallback(value) {
  let u;
  try { u = new URL(value); } catch { return false; }
  return u.protocol === 'http:'
    && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
    && /callback$/.test(u.pathname)
    && !u.hash && !u.username && !u.password;
}
function loopbackAny(value) {
  let u;
  try { u = new URL(value); } catch { return false; }
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !u.hash;
}

const ACCOUNT_CLAIMS = {
  sub: ACCOUNT_ID,
  email: 'interop@example.com',
  email_verified: true,
  given_name: 'Inter',
  family_name: 'Op',
  name: 'Inter Op',
};

const hasOffline = (scopes) => scopes.has('offline') || scopes.has('offline_access');

// Default login + consent prompts, plus Kinde's `prompt=create` (register) and `select_account`, so
// that oidc-provider accepts them instead of answering `unsupported prompt value requested`.
// They are resolved by the interaction handler like everything else.
const EXTRA_PROMPTS = ['create', 'select_account'];
function kindePolicy() {
  const policy = interactionPolicy.base();
  for (const name of EXTRA_PROMPTS) {
    policy.add(new interactionPolicy.Prompt({ name, requestable: true }), 0);
  }
  return policy;
}

function buildProvider(issuer) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: `interop-${crypto.randomBytes(6).toString('hex')}`,
    alg: 'RS256',
    use: 'sig',
  };

  const configuration = {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'kinde-rs interop',
      application_type: 'web',
      // client_secret_basic is accepted too: oidc-provider treats basic/post as interchangeable.
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
      post_logout_redirect_uris: POST_LOGOUT_URIS,
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    routes: {
      authorization: '/oauth2/auth',
      token: '/oauth2/token',
      jwks: '/.well-known/jwks',
      end_session: '/logout',
      userinfo: '/oauth2/v2/user_profile',
      revocation: '/oauth2/revoke',
      introspection: '/oauth2/introspect',
    },
    // Kinde's refresh scope is `offline`; keep offline_access known too.
    scopes: ['openid', 'profile', 'email', 'offline', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    // Kinde puts profile/email claims into the ID token of a code flow.
    conformIdTokenClaims: false,
    // Kinde's authorize request carries `audience`; accepted (and ignored: the resource is fixed).
    extraParams: ['audience'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: INTERACTIVE },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) {
            throw new Provider.errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
          }
          return {
            scope: SCOPE,
            audience: AUDIENCE,
            accessTokenTTL: ACCESS_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // Kinde-flavoured extra access-token claims (always present in Kinde: azp, scp; default: org_code,
    // permissions, feature_flags). Standard claims (iss, aud, sub, exp, iat, jti, scope, client_id) win.
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      return {
        azp: token.clientId,
        scp: (token.scope || '').split(' ').filter(Boolean),
        org_code: 'org_interop',
        permissions: ['read:interop'],
        feature_flags: { interop: { t: 'b', v: true } },
      };
    },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && hasOffline(code.scopes),
    expiresWithSession: async (_ctx, code) => !hasOffline(code.scopes),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ACCESS_TTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: REFRESH_TTL,
      Grant: REFRESH_TTL,
      Interaction: 600,
      Session: REFRESH_TTL,
    },
    // Interactive: oidc-provider's own pages at its own interaction URL, for the prompts
    // they know (login, consent).
    interactions: INTERACTIVE ? {} : {
      policy: kindePolicy(),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    findAccount: async (_ctx, id) => {
      if (id !== ACCOUNT_ID) return undefined;
      return { accountId: id, claims: async () => ({ ...ACCOUNT_CLAIMS }) };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };

  const provider = new Provider(issuer, configuration);

  if (!STRICT_REDIRECTS) {
    const proto = provider.Client.prototype;
    const origRedirect = proto.redirectUriAllowed;
    proto.redirectUriAllowed = function redirectUriAllowed(value) {
      return origRedirect.call(this, value) || loopbackCallback(value);
    };
    const origLogout = proto.postLogoutRedirectUriAllowed;
    proto.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(value) {
      return origLogout.call(this, value) || loopbackAny(value);
    };
  }

  provider.on('server_error', (_ctx, err) => log('server_error', err));
  for (const ev of ['grant.error', 'authorization.error', 'introspection.error', 'revocation.error',
    'userinfo.error', 'end_session.error']) {
    provider.on(ev, (_ctx, err) => log(ev, err.name, err.message, err.error_detail || ''));
  }

  provider.interopKey = crypto.createPublicKey(privateKey);
  provider.interopKid = jwk.kid;
  return provider;
}

// Kinde's GET /oauth2/v2/user_profile, for JWT access tokens.
// oidc-provider does not store JWT-format access tokens, so its own userinfo endpoint answers
// `invalid_token` for them; this shim verifies the token (RS256 with our key, iss, aud, exp) and
// answers with Kinde's user_profile shape. Opaque tokens still go to oidc-provider's userinfo.
function userProfile(provider, req, res) {
  const send = (status, body, extra = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
    res.end(JSON.stringify(body));
  };
  const deny = (desc) => send(401, { error: 'invalid_token', error_description: desc },
    { 'www-authenticate': `Bearer realm="${provider.issuer}", error="invalid_token", error_description="${desc}"` });
  const token = (req.headers.authorization || '').replace(/^Bearer\s+/i, '');
  const parts = token.split('.');
  let header; let claims;
  try {
    [header, claims] = parts.slice(0, 2).map((x) => JSON.parse(Buffer.from(x, 'base64url')));
  } catch { return deny('malformed token'); }
  if (header.alg !== 'RS256' || header.kid !== provider.interopKid) return deny('unexpected alg or kid');
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), provider.interopKey,
    Buffer.from(parts[2], 'base64url'));
  if (!ok) return deny('bad signature');
  const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== provider.issuer || !auds.includes(AUDIENCE)) return deny('wrong iss or aud');
  if (!(claims.exp > Math.floor(Date.now() / 1000))) return deny('expired');
  if (claims.sub !== ACCOUNT_ID) return deny('unknown subject');
  return send(200, {
    id: ACCOUNT_ID,
    sub: ACCOUNT_ID,
    provided_id: null,
    name: ACCOUNT_CLAIMS.name,
    given_name: ACCOUNT_CLAIMS.given_name,
    family_name: ACCOUNT_CLAIMS.family_name,
    email: ACCOUNT_CLAIMS.email,
    email_verified: ACCOUNT_CLAIMS.email_verified,
    picture: null,
    updated_at: null,
    preferred_username: null,
  });
}

// Kinde-style GET /logout?redirect=<url>[&id_token_hint=...]: oidc-provider's RP-initiated logout
// answers with an HTML confirmation form (xsrf-protected POST to /logout/confirm) and only knows
// `post_logout_redirect_uri`. This shim maps `redirect` to `post_logout_redirect_uri`, drives the
// provider's own form on the caller's behalf (forwarding the caller's cookies) and relays the
// provider's final answer (303 to the post-logout URL, or its "signed out" page, plus Set-Cookie).
// Validation of the redirect target stays with oidc-provider (400 JSON for a foreign URL).
async function kindeLogout(issuer, req, res) {
  const incoming = new URL(req.url, issuer);
  const q = new URLSearchParams(incoming.search);
  if (q.has('redirect') && !q.has('post_logout_redirect_uri')) {
    q.set('post_logout_redirect_uri', q.get('redirect'));
  }
  q.delete('redirect');
  if (q.has('post_logout_redirect_uri') && !q.has('id_token_hint') && !q.has('client_id')) {
    q.set('client_id', CLIENT_ID);
  }
  const cookie = req.headers.cookie || '';
  const first = await fetch(`${issuer}/logout?${q}&interop_shim=1`, { headers: { cookie }, redirect: 'manual' });
  const html = await first.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  let final = first;
  let body = html;
  if (first.status === 200 && xsrf) {
    final = await fetch(`${issuer}/logout/confirm`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
      redirect: 'manual',
    });
    body = await final.text();
  }
  const headers = {};
  for (const h of ['location', 'content-type', 'cache-control']) {
    if (final.headers.get(h)) headers[h] = final.headers.get(h);
  }
  const setCookie = [...first.headers.getSetCookie(), ...final.headers.getSetCookie()];
  if (setCookie.length) headers['set-cookie'] = setCookie;
  res.writeHead(final.status, headers);
  res.end(body);
}

// Finishes every interaction at once: login as user-1, consent to everything requested.
async function handleInteraction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const result = {};

  if (prompt.name === 'login' || EXTRA_PROMPTS.includes(prompt.name) || !details.session?.accountId) {
    result.login = { accountId: ACCOUNT_ID };
  }
  for (const name of EXTRA_PROMPTS) {
    if (prompt.name === name) result[name] = {};
  }

  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
  }
  if (!grant) {
    grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: params.client_id });
  }
  const pd = prompt.details || {};
  grant.addOIDCScope([params.scope, ...(pd.missingOIDCScope || [])].filter(Boolean).join(' '));
  if (pd.missingOIDCClaims) grant.addOIDCClaims(pd.missingOIDCClaims);
  grant.addResourceScope(RESOURCE, SCOPE);
  if (pd.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(pd.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  if (params.claims) {
    try {
      const claims = JSON.parse(params.claims);
      for (const c of ['id_token', 'userinfo']) if (claims[c]) grant.addOIDCClaims(Object.keys(claims[c]));
    } catch { /* ignore */ }
  }
  result.consent = { grantId: await grant.save() };

  log(`interaction ${details.uid} prompt=${prompt.name} -> login+consent`);
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const port = Number(process.env.PORT ?? 4010);
const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const issuer = `http://127.0.0.1:${actual}`;
  const provider = buildProvider(issuer);
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const path = (req.url || '').split('?')[0];
    if (path.startsWith('/interaction/') && !INTERACTIVE) {
      handleInteraction(provider, req, res).catch((err) => {
        log('interaction failed', err);
        if (!res.headersSent) {
          res.statusCode = 400;
          res.setHeader('content-type', 'application/json');
        }
        res.end(JSON.stringify({ error: 'interaction_failed', error_description: String(err?.message || err) }));
      });
      return;
    }
    if (path === '/logout' && req.method === 'GET' && !/[?&]interop_shim=1/.test(req.url)) {
      kindeLogout(issuer, req, res).catch((err) => {
        log('logout failed', err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'server_error', error_description: String(err?.message || err) }));
      });
      return;
    }
    if (path === '/oauth2/v2/user_profile'
      && /^Bearer\s+[^.\s]+\.[^.\s]+\.[^.\s]+$/i.test(req.headers.authorization || '')) {
      userProfile(provider, req, res);
      return;
    }
    callback(req, res);
  });

  process.stdout.write(`READY ${issuer}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
