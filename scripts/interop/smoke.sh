#!/usr/bin/env bash
# Shell-only smoke test of the interop OpenID provider (no Rust).
#
#   scripts/interop/smoke.sh                        # starts the server through scripts/interop.sh
#   scripts/interop.sh scripts/interop/smoke.sh     # same thing, explicit
#   SMOKE_VERBOSE=0 scripts/interop/smoke.sh        # only ok/FAIL lines
#
# Needs curl, jq and node. Uses KINDE_INTEROP_ISSUER / _CLIENT_ID / _CLIENT_SECRET / _AUDIENCE.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${KINDE_INTEROP_ISSUER:-}" ]]; then
  exec "$HERE/../interop.sh" "$HERE/smoke.sh"
fi

ISSUER="$KINDE_INTEROP_ISSUER"
CLIENT_ID="${KINDE_INTEROP_CLIENT_ID:-interop-client}"
CLIENT_SECRET="${KINDE_INTEROP_CLIENT_SECRET:-interop-secret}"
AUDIENCE="${KINDE_INTEROP_AUDIENCE:-interop-api}"
# A port nobody registered: the server must accept any loopback .../callback.
REDIRECT_URI="${SMOKE_REDIRECT_URI:-http://127.0.0.1:54321/callback}"
VERBOSE="${SMOKE_VERBOSE:-1}"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
JAR="$TMP/cookies.txt"

pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*" >&2; exit 1; }
show() { if [[ "$VERBOSE" == 1 ]]; then echo "$*"; fi; }

# node helper: script on stdin, arguments after it
js() { node --input-type=module - "$@"; }

# --- 1. discovery ------------------------------------------------------------
curl -fsS "$ISSUER/.well-known/openid-configuration" -o "$TMP/disco.json"
js "$TMP/disco.json" "$ISSUER" <<'JS'
import { readFileSync } from 'node:fs';
const [file, issuer] = process.argv.slice(2);
const d = JSON.parse(readFileSync(file, 'utf8'));
const want = {
  issuer,
  authorization_endpoint: `${issuer}/oauth2/auth`,
  token_endpoint: `${issuer}/oauth2/token`,
  jwks_uri: `${issuer}/.well-known/jwks`,
  end_session_endpoint: `${issuer}/logout`,
  userinfo_endpoint: `${issuer}/oauth2/v2/user_profile`,
  revocation_endpoint: `${issuer}/oauth2/revoke`,
  introspection_endpoint: `${issuer}/oauth2/introspect`,
};
for (const [k, v] of Object.entries(want)) {
  if (d[k] !== v) { console.error(`discovery ${k}: got ${d[k]} want ${v}`); process.exit(1); }
}
if (!d.code_challenge_methods_supported?.includes('S256')) { console.error('no S256'); process.exit(1); }
if (!d.scopes_supported?.includes('offline')) { console.error('no offline scope'); process.exit(1); }
JS
pass "discovery endpoints match Kinde paths"
show "  discovery: $(jq -c '{issuer, authorization_endpoint, token_endpoint, jwks_uri, end_session_endpoint, userinfo_endpoint, revocation_endpoint, introspection_endpoint}' "$TMP/disco.json")"
TOKEN_EP="$(jq -r .token_endpoint "$TMP/disco.json")"
AUTH_EP="$(jq -r .authorization_endpoint "$TMP/disco.json")"
JWKS_URI="$(jq -r .jwks_uri "$TMP/disco.json")"
USERINFO_EP="$(jq -r .userinfo_endpoint "$TMP/disco.json")"
INTROSPECT_EP="$(jq -r .introspection_endpoint "$TMP/disco.json")"
REVOKE_EP="$(jq -r .revocation_endpoint "$TMP/disco.json")"
curl -fsS "$JWKS_URI" -o "$TMP/jwks.json"

# --- 2. authorize with PKCE S256 + state + nonce, following the chain ----------
# login <prefix>: sets <prefix>_{VERIFIER,STATE,NONCE,AUTH_URL,CODE,HOPS,ISS}
login() {
  local pfx="$1" verifier challenge state nonce auth_url url hops=0 callback="" status loc cookies code cb_state cb_iss
  read -r verifier challenge state nonce < <(js <<'JS'
import { randomBytes, createHash } from 'node:crypto';
const v = randomBytes(32).toString('base64url');
const c = createHash('sha256').update(v).digest('base64url');
console.log(v, c, randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url'));
JS
)
  auth_url="$(js "$AUTH_EP" "$CLIENT_ID" "$REDIRECT_URI" "$challenge" "$state" "$nonce" "$AUDIENCE" <<'JS'
const [ep, client_id, redirect_uri, code_challenge, state, nonce, audience] = process.argv.slice(2);
const u = new URL(ep);
for (const [k, v] of Object.entries({ client_id, response_type: 'code', redirect_uri,
  scope: 'openid profile email offline', state, nonce, code_challenge, code_challenge_method: 'S256', audience })) {
  u.searchParams.set(k, v);
}
console.log(u.href);
JS
)"
  rm -f "$JAR" # a fresh browser per login
  url="$auth_url"
  while (( hops < 10 )); do
    hops=$((hops + 1))
    status="$(curl -sS -o "$TMP/body" -D "$TMP/headers" -b "$JAR" -c "$JAR" -w '%{http_code}' "$url")"
    loc="$(tr -d '\r' < "$TMP/headers" | awk 'tolower($1)=="location:" {print $2}')"
    cookies="$(tr -d '\r' < "$TMP/headers" | awk 'tolower($1)=="set-cookie:" {split($2,a,"="); printf "%s ", a[1]}')"
    show "  hop $hops: GET ${url%%\?*} -> $status ${loc%%\?*} ${cookies:+[set-cookie: $cookies]}"
    [[ "$status" == 30[1237] ]] || { cat "$TMP/body" >&2; fail "expected a redirect from $url, got $status"; }
    url="$(js "$url" "$loc" <<'JS'
console.log(new URL(process.argv[3], process.argv[2]).href);
JS
)"
    if [[ "$url" == "$REDIRECT_URI"* ]]; then callback="$url"; break; fi
  done
  [[ -n "$callback" ]] || fail "never reached $REDIRECT_URI"
  show "  callback: $callback"
  read -r code cb_state cb_iss < <(js "$callback" <<'JS'
const p = new URL(process.argv[2]).searchParams;
if (p.get('error')) { console.error(p.toString()); process.exit(1); }
console.log(p.get('code'), p.get('state'), p.get('iss') || '-');
JS
)
  [[ "$cb_state" == "$state" ]] || fail "state mismatch: $cb_state != $state"
  printf -v "${pfx}_VERIFIER" %s "$verifier"
  printf -v "${pfx}_STATE" %s "$state"
  printf -v "${pfx}_NONCE" %s "$nonce"
  printf -v "${pfx}_AUTH_URL" %s "$auth_url"
  printf -v "${pfx}_CODE" %s "$code"
  printf -v "${pfx}_HOPS" %s "$hops"
  printf -v "${pfx}_ISS" %s "$cb_iss"
}

post() { local out="$1" ep="$2"; shift 2; curl -sS -o "$TMP/$out.json" -w '%{http_code}' -X POST "$ep" "$@"; }
creds=(--data-urlencode "client_id=$CLIENT_ID" --data-urlencode "client_secret=$CLIENT_SECRET")
exchange() { # exchange <out> <code> <verifier>
  post "$1" "$TOKEN_EP" --data-urlencode grant_type=authorization_code --data-urlencode "code=$2" \
    --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$3" "${creds[@]}"
}
refresh() { # refresh <out> <refresh_token>
  post "$1" "$TOKEN_EP" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$2" "${creds[@]}"
}

login L1
pass "authorize chain reached the callback in $L1_HOPS hops; same state came back (iss=$L1_ISS)"

# --- 3. token exchange (client_secret_post) -----------------------------------
# wrong PKCE verifier first: rejected (oidc-provider does not consume the code for that)
st="$(exchange badpkce "$L1_CODE" "wrong-verifier-wrong-verifier-wrong-verifier-1234")"
[[ "$st" == 400 && "$(jq -r .error "$TMP/badpkce.json")" == invalid_grant ]] || fail "wrong code_verifier not rejected ($st)"
pass "wrong code_verifier rejected: $st $(jq -c . "$TMP/badpkce.json")"

st="$(exchange tok "$L1_CODE" "$L1_VERIFIER")"
[[ "$st" == 200 ]] || { cat "$TMP/tok.json" >&2; fail "token exchange returned $st"; }
pass "code exchanged with client_secret_post"
show "  token response: $(jq -c '{token_type, expires_in, scope, keys: keys}' "$TMP/tok.json")"

# --- 4. inspect and verify the tokens ----------------------------------------
js "$TMP/tok.json" "$TMP/jwks.json" "$ISSUER" "$AUDIENCE" "$CLIENT_ID" "$L1_NONCE" "$VERBOSE" <<'JS'
import { readFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
const [tokFile, jwksFile, issuer, audience, clientId, nonce, verbose] = process.argv.slice(2);
const tok = JSON.parse(readFileSync(tokFile, 'utf8'));
const jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));
const die = (m) => { console.error(m); process.exit(1); };
function check(name, jwt) {
  const parts = jwt.split('.');
  if (parts.length !== 3) die(`${name} is not a JWS`);
  const [h, p] = parts.slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url')));
  if (h.alg !== 'RS256') die(`${name} alg ${h.alg}`);
  const jwk = jwks.keys.find((k) => k.kid === h.kid);
  if (!jwk) die(`${name} kid ${h.kid} not in JWKS`);
  const ok = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`),
    createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(parts[2], 'base64url'));
  if (!ok) die(`${name} signature invalid`);
  if (p.iss !== issuer) die(`${name} iss ${p.iss}`);
  if (!(p.exp > Math.floor(Date.now() / 1000))) die(`${name} expired`);
  if (verbose === '1') console.log(`  ${name} header: ${JSON.stringify(h)}\n  ${name} claims: ${JSON.stringify(p)}`);
  return p;
}
const at = check('access_token', tok.access_token);
const auds = Array.isArray(at.aud) ? at.aud : [at.aud];
if (!auds.includes(audience)) die(`access_token aud ${JSON.stringify(at.aud)} lacks ${audience}`);
if (at.sub !== 'user-1') die(`access_token sub ${at.sub}`);
const id = check('id_token', tok.id_token);
const idAuds = Array.isArray(id.aud) ? id.aud : [id.aud];
if (!idAuds.includes(clientId)) die(`id_token aud ${id.aud}`);
if (id.nonce !== nonce) die(`id_token nonce ${id.nonce} != ${nonce}`);
if (id.email !== 'interop@example.com' || id.email_verified !== true || id.name !== 'Inter Op') die('id_token profile claims');
if (!tok.refresh_token) die('no refresh_token for scope offline');
JS
pass "access token: RS256 JWT, signature verified against JWKS, iss ok, aud contains $AUDIENCE"
pass "id token: RS256, nonce matches, profile/email claims present; refresh_token issued"

AT="$(jq -r .access_token "$TMP/tok.json")"
RT1="$(jq -r .refresh_token "$TMP/tok.json")"

# --- 5. user profile, introspection --------------------------------------------
st="$(curl -sS -o "$TMP/profile.json" -w '%{http_code}' -H "Authorization: Bearer $AT" "$USERINFO_EP")"
[[ "$st" == 200 && "$(jq -r .email "$TMP/profile.json")" == interop@example.com ]] || fail "user_profile: $st $(cat "$TMP/profile.json")"
pass "user_profile with the JWT access token: $(jq -c . "$TMP/profile.json")"
st="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${AT}x" "$USERINFO_EP")"
[[ "$st" == 401 ]] || fail "user_profile accepted a tampered token ($st)"
pass "user_profile rejects a tampered token (401)"

post intro_rt "$INTROSPECT_EP" --data-urlencode "token=$RT1" --data-urlencode token_type_hint=refresh_token "${creds[@]}" >/dev/null
show "  introspect refresh token: $(jq -c . "$TMP/intro_rt.json")"
post intro_at "$INTROSPECT_EP" --data-urlencode "token=$AT" --data-urlencode token_type_hint=access_token "${creds[@]}" >/dev/null
show "  introspect JWT access token: $(jq -c . "$TMP/intro_at.json")"

# --- 6. refresh with rotation --------------------------------------------------
st="$(refresh ref1 "$RT1")"
[[ "$st" == 200 ]] || { cat "$TMP/ref1.json" >&2; fail "refresh returned $st"; }
RT2="$(jq -r .refresh_token "$TMP/ref1.json")"
AT2="$(jq -r .access_token "$TMP/ref1.json")"
[[ -n "$RT2" && "$RT2" != null && "$RT2" != "$RT1" ]] || fail "refresh did not rotate the refresh token"
[[ "$AT2" != "$AT" ]] || fail "refresh returned the same access token"
show "  refresh response: $(jq -c '{token_type, expires_in, scope, has_id_token: (.id_token != null), has_refresh_token: (.refresh_token != null)}' "$TMP/ref1.json")"
js "$TMP/ref1.json" "$AUDIENCE" <<'JS'
import { readFileSync } from 'node:fs';
const [f, audience] = process.argv.slice(2);
const t = JSON.parse(readFileSync(f, 'utf8'));
const p = JSON.parse(Buffer.from(t.access_token.split('.')[1], 'base64url'));
const auds = Array.isArray(p.aud) ? p.aud : [p.aud];
if (!auds.includes(audience)) { console.error('refreshed access token aud', p.aud); process.exit(1); }
JS
pass "refresh_token grant returned a new refresh token and a new JWT access token for $AUDIENCE"

st="$(refresh ref_old "$RT1")"
[[ "$st" == 400 && "$(jq -r .error "$TMP/ref_old.json")" == invalid_grant ]] \
  || { cat "$TMP/ref_old.json" >&2; fail "old refresh token still accepted ($st)"; }
pass "old refresh token rejected after rotation: $st $(jq -c . "$TMP/ref_old.json")"

# oidc-provider treats reuse of a rotated refresh token as replay and revokes the whole grant,
# so the new refresh token is dead now too (Kinde instead allows a short overlap window).
st="$(refresh ref2 "$RT2")"
show "  new refresh token after the old one was replayed -> $st $(jq -c . "$TMP/ref2.json")"

# --- 7. a second login: revocation, code replay -------------------------------
login L2
st="$(exchange tok2 "$L2_CODE" "$L2_VERIFIER")"
[[ "$st" == 200 ]] || fail "second exchange returned $st"
RT3="$(jq -r .refresh_token "$TMP/tok2.json")"
st="$(exchange reuse "$L2_CODE" "$L2_VERIFIER")"
[[ "$st" == 400 && "$(jq -r .error "$TMP/reuse.json")" == invalid_grant ]] || fail "code reuse not rejected ($st)"
pass "authorization code is single use: $st $(jq -c . "$TMP/reuse.json")"
st="$(refresh ref3 "$RT3")"
show "  refresh token from a replayed code -> $st $(jq -c . "$TMP/ref3.json") (grant revoked on code replay)"

login L3
exchange tok3 "$L3_CODE" "$L3_VERIFIER" >/dev/null
RT4="$(jq -r .refresh_token "$TMP/tok3.json")"
st="$(post revoke "$REVOKE_EP" --data-urlencode "token=$RT4" --data-urlencode token_type_hint=refresh_token "${creds[@]}")"
[[ "$st" == 200 ]] || fail "revoke returned $st"
st="$(refresh ref4 "$RT4")"
[[ "$st" == 400 ]] || fail "revoked refresh token still works ($st)"
pass "revoked refresh token rejected: $st $(jq -c . "$TMP/ref4.json")"

# --- 8. negative checks -------------------------------------------------------
NOPKCE="$(js "$L1_AUTH_URL" <<'JS'
const u = new URL(process.argv[2]);
u.searchParams.delete('code_challenge'); u.searchParams.delete('code_challenge_method');
console.log(u.href);
JS
)"
loc="$(curl -sS -o /dev/null -w '%{redirect_url}' "$NOPKCE")"
[[ "$loc" == "$REDIRECT_URI"*error=invalid_request* ]] || fail "authorize without PKCE not rejected: $loc"
pass "authorize without PKCE is rejected by redirect (${loc#*\?})"

BADRED="$(js "$L1_AUTH_URL" <<'JS'
const u = new URL(process.argv[2]);
u.searchParams.set('redirect_uri', 'https://evil.example/callback');
console.log(u.href);
JS
)"
st="$(curl -sS -o "$TMP/bad.json" -w '%{http_code}' "$BADRED")"
[[ "$st" == 400 ]] || fail "foreign redirect_uri not rejected ($st)"
pass "foreign redirect_uri rejected without redirect: $st $(cat "$TMP/bad.json")"

st="$(post badsecret "$TOKEN_EP" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=x" \
  --data-urlencode "client_id=$CLIENT_ID" --data-urlencode "client_secret=wrong")"
[[ "$st" == 401 ]] || fail "bad client secret returned $st"
pass "wrong client_secret: $st $(jq -c . "$TMP/badsecret.json")"

st="$(curl -sS -o "$TMP/basic.json" -w '%{http_code}' -X POST "$TOKEN_EP" -u "$CLIENT_ID:$CLIENT_SECRET" \
  --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=x")"
[[ "$st" == 400 && "$(jq -r .error "$TMP/basic.json")" == invalid_grant ]] || fail "client_secret_basic not accepted ($st)"
pass "client_secret_basic authenticates too (gets past client auth to invalid_grant)"

# Kinde's prompt values: create (register) and none (silent) are understood
rm -f "$JAR"
loc="$(curl -sS -o /dev/null -b "$JAR" -c "$JAR" -w '%{redirect_url}' "$L1_AUTH_URL&prompt=none")"
[[ "$loc" == "$REDIRECT_URI"*error=login_required* ]] || fail "prompt=none without a session: $loc"
pass "prompt=none without a session -> callback with error=login_required"
loc="$(curl -sS -o /dev/null -b "$JAR" -c "$JAR" -w '%{redirect_url}' "$L1_AUTH_URL&prompt=create&org_code=org_1&lang=en&is_create_org=true")"
[[ "$loc" == "$ISSUER/interaction/"* ]] || fail "prompt=create not accepted: $loc"
pass "prompt=create (+ Kinde-only params) accepted and goes to the interaction"

# --- 9. Kinde-style logout ---------------------------------------------------------
login L4
POST_LOGOUT="${REDIRECT_URI%/callback}/"
loc="$(curl -sS -o /dev/null -b "$JAR" -c "$JAR" -w '%{http_code} %{redirect_url}' -G "$ISSUER/logout" --data-urlencode "redirect=$POST_LOGOUT")"
[[ "$loc" == "303 $POST_LOGOUT"* ]] || fail "logout?redirect= did not redirect to $POST_LOGOUT: $loc"
pass "GET /logout?redirect=... -> $loc"
loc="$(curl -sS -o /dev/null -b "$JAR" -c "$JAR" -w '%{redirect_url}' "$L4_AUTH_URL&prompt=none")"
[[ "$loc" == "$REDIRECT_URI"*error=login_required* ]] || fail "session survived logout: $loc"
pass "after logout, prompt=none gives login_required (${loc#*\?})"
st="$(curl -sS -o "$TMP/badlogout.json" -w '%{http_code}' -G "$ISSUER/logout" --data-urlencode "redirect=https://evil.example/")"
[[ "$st" == 400 ]] || fail "logout to a foreign URL not rejected ($st)"
pass "logout to a foreign URL rejected: $st $(cat "$TMP/badlogout.json")"

echo "smoke: all checks passed against $ISSUER"
