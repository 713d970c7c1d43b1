//! Server state shared between the handle and the request handlers, and the grant logic.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value, json};
use url::Url;

use super::claims::{self, TokenContext};
use super::keys::KeyMaterial;
use super::users::{TestClient, TestOrg, TestUser};
use super::{Endpoint, LoginMode};

/// Locks a mutex, recovering the data if a previous holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many recorded requests and secrets, and sign-ins in progress, the server keeps at
/// most (the most recent):
/// a demo left running, or a fuzzer's millions of requests, must not grow its memory
/// without bound (the `server_form` fuzz target ran out of memory at 4 million).
pub const RECORD_LIMIT: usize = 10_000;

/// Append `items` to a record, dropping its oldest half whenever it is full, so it keeps
/// between `RECORD_LIMIT / 2` and `RECORD_LIMIT` of the latest items.
pub(crate) fn record<T>(log: &Mutex<Vec<T>>, items: impl IntoIterator<Item = T>) {
    let mut log = lock(log);
    for item in items {
        if log.len() >= RECORD_LIMIT {
            log.drain(..RECORD_LIMIT / 2);
        }
        log.push(item);
    }
}

/// Lifetimes configured on the builder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ttls {
    pub access: Duration,
    pub id: Duration,
    pub refresh: Duration,
    pub refresh_grace: Duration,
    pub code: Duration,
}

/// Published keys: the current signer and, after `rotate_signing_key(true)`, older ones.
pub(crate) struct KeyState {
    pub current: Arc<KeyMaterial>,
    pub retired: Vec<Arc<KeyMaterial>>,
}

/// A validated authorization request (kept for Page mode until the person chooses).
#[derive(Clone, Debug)]
pub(crate) struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: Url,
    /// `redirect_uri` exactly as sent (the token request must repeat it verbatim).
    pub redirect_uri_raw: String,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub audience: Vec<String>,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub is_create_org: bool,
    pub login_hint: Option<String>,
    pub prompt: Option<String>,
}

pub(crate) struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    user: TestUser,
    scopes: Vec<String>,
    audience: Vec<String>,
    org_code: Option<String>,
    nonce: Option<String>,
    auth_time: i64,
    expires_at: Instant,
}

struct RefreshEntry {
    family: u64,
    expires_at: Instant,
    rotated_at: Option<Instant>,
}

/// Everything issued from one login (one code exchange): its refresh tokens rotate
/// within the family, and reuse of a rotated-out token revokes the whole family.
struct Family {
    client_id: String,
    user: TestUser,
    scopes: Vec<String>,
    audience: Vec<String>,
    org_code: Option<String>,
    auth_time: i64,
    revoked: bool,
    access_jtis: Vec<String>,
}

pub(crate) struct Pending {
    pub request: AuthorizeRequest,
    expires_at: Instant,
}

#[derive(Default)]
pub(crate) struct Grants {
    codes: HashMap<String, CodeGrant>,
    used_codes: HashMap<String, Option<u64>>,
    refresh: HashMap<String, RefreshEntry>,
    families: HashMap<u64, Family>,
    next_family: u64,
    pending: HashMap<String, Pending>,
    revoked_jtis: HashSet<String>,
}

impl Grants {
    fn revoke_family(&mut self, id: u64) {
        if let Some(f) = self.families.get_mut(&id) {
            f.revoked = true;
            let jtis = std::mem::take(&mut f.access_jtis);
            self.revoked_jtis.extend(jtis);
        }
    }
}

/// Run-time switches, all effective immediately.
pub(crate) struct Knobs {
    pub jwks_available: AtomicBool,
    pub discovery_available: AtomicBool,
    pub stuck_cursor: AtomicBool,
    /// Replaces the `plans` of every entitlements answer (e.g. with a malformed value).
    pub entitlement_plans: Mutex<Option<Value>>,
    pub token_failure: Mutex<Option<u16>>,
    pub token_delay: Mutex<Duration>,
    pub authorize_error: Mutex<Option<String>>,
    /// The next this many Management API requests are answered 429 (`Retry-After: 1`).
    pub management_throttle: std::sync::atomic::AtomicU32,
    /// The next this many Management API requests are answered 401.
    pub management_reject: std::sync::atomic::AtomicU32,
}

pub(crate) struct Counters {
    endpoints: [AtomicU64; Endpoint::COUNT],
    grants: Mutex<HashMap<String, u64>>,
}

impl Counters {
    fn new() -> Self {
        Self {
            endpoints: std::array::from_fn(|_| AtomicU64::new(0)),
            grants: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn hit(&self, e: Endpoint) {
        self.endpoints[e.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self, e: Endpoint) -> u64 {
        self.endpoints[e.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn hit_grant(&self, grant: &str) {
        *lock(&self.grants).entry(grant.to_string()).or_default() += 1;
    }

    pub(crate) fn grant(&self, grant: &str) -> u64 {
        lock(&self.grants).get(grant).copied().unwrap_or(0)
    }

    pub(crate) fn reset(&self) {
        for c in &self.endpoints {
            c.store(0, Ordering::Relaxed);
        }
        lock(&self.grants).clear();
    }
}

/// An OAuth error: `(status, error, error_description)`.
#[derive(Debug)]
pub(crate) struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", description)
    }

    fn server(description: impl Into<String>) -> Self {
        Self::new(500, "server_error", description)
    }
}

/// The state behind a running server.
pub(crate) struct Shared {
    pub issuer: String,
    pub clients: Vec<TestClient>,
    pub login_mode: LoginMode,
    pub ttl: Ttls,
    pub started_at: i64,
    pub users: Mutex<Vec<TestUser>>,
    pub auto_login_user: Mutex<Option<String>>,
    pub keys: Mutex<KeyState>,
    pub grants: Mutex<Grants>,
    pub knobs: Knobs,
    pub counters: Counters,
    pub authorize_requests: Mutex<Vec<Url>>,
    pub logouts: Mutex<Vec<Url>>,
    /// What the Management API keeps besides the users.
    pub directory: Mutex<super::management::Directory>,
    /// Every secret the token endpoint received or issued (codes, verifiers, client
    /// secrets, tokens), for tests that check none of them leaks.
    pub secrets: Mutex<Vec<String>>,
}

impl Shared {
    pub(crate) fn new(
        issuer: String,
        clients: Vec<TestClient>,
        users: Vec<TestUser>,
        login_mode: LoginMode,
        ttl: Ttls,
        key: KeyMaterial,
    ) -> Self {
        Self {
            issuer,
            clients,
            login_mode,
            ttl,
            started_at: claims::now_secs(),
            users: Mutex::new(users),
            auto_login_user: Mutex::new(None),
            keys: Mutex::new(KeyState {
                current: Arc::new(key),
                retired: Vec::new(),
            }),
            grants: Mutex::new(Grants::default()),
            secrets: Mutex::new(Vec::new()),
            knobs: Knobs {
                jwks_available: AtomicBool::new(true),
                discovery_available: AtomicBool::new(true),
                stuck_cursor: AtomicBool::new(false),
                entitlement_plans: Mutex::new(None),
                token_failure: Mutex::new(None),
                token_delay: Mutex::new(Duration::ZERO),
                authorize_error: Mutex::new(None),
                management_throttle: std::sync::atomic::AtomicU32::new(0),
                management_reject: std::sync::atomic::AtomicU32::new(0),
            },
            counters: Counters::new(),
            authorize_requests: Mutex::new(Vec::new()),
            logouts: Mutex::new(Vec::new()),
            directory: Mutex::new(super::management::Directory::default()),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{}", self.issuer, path)
        } else {
            format!("{}/{}", self.issuer, path)
        }
    }

    pub(crate) fn client(&self, id: &str) -> Option<&TestClient> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub(crate) fn default_client(&self) -> &TestClient {
        // The builder guarantees at least one client.
        &self.clients[0]
    }

    pub(crate) fn find_user(&self, id: &str) -> Option<TestUser> {
        lock(&self.users).iter().find(|u| u.id == id).cloned()
    }

    /// The user an automatic login picks: `login_hint` (email or id), else the
    /// configured auto-login user, else the first user.
    pub(crate) fn auto_user(&self, login_hint: Option<&str>) -> Option<TestUser> {
        let users = lock(&self.users);
        if let Some(hint) = login_hint
            && let Some(u) = users
                .iter()
                .find(|u| u.id == hint || u.email.eq_ignore_ascii_case(hint))
        {
            return Some(u.clone());
        }
        if let Some(id) = lock(&self.auto_login_user).as_deref()
            && let Some(u) = users.iter().find(|u| u.id == id)
        {
            return Some(u.clone());
        }
        users.first().cloned()
    }

    pub(crate) fn current_key(&self) -> Arc<KeyMaterial> {
        lock(&self.keys).current.clone()
    }

    pub(crate) fn published_keys(&self) -> Vec<Arc<KeyMaterial>> {
        let keys = lock(&self.keys);
        let mut all = vec![keys.current.clone()];
        all.extend(keys.retired.iter().cloned());
        all
    }

    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<Value> = self.published_keys().iter().map(|k| k.jwk()).collect();
        json!({ "keys": keys })
    }

    pub(crate) fn sign(&self, claims: &Map<String, Value>) -> Result<String, OAuthError> {
        let key = self.current_key();
        key.try_sign(&Value::Object(claims.clone()), key.kid())
            .map_err(OAuthError::server)
    }

    /// The org a token is issued for: the requested one if the user belongs to it,
    /// else the user's first organisation.
    pub(crate) fn resolve_org(user: &TestUser, org_code: Option<&str>) -> Option<TestOrg> {
        org_code
            .and_then(|c| user.organization(c))
            .or_else(|| user.organizations.first())
            .cloned()
    }

    pub(crate) fn new_pending(&self, request: AuthorizeRequest) -> String {
        let id = super::random_token(24);
        let mut g = lock(&self.grants);
        let now = Instant::now();
        g.pending.retain(|_, p| p.expires_at > now);
        // Bounded like the records: past RECORD_LIMIT sign-ins in progress, the one
        // closest to expiring makes room.
        if g.pending.len() >= RECORD_LIMIT {
            let oldest = g
                .pending
                .iter()
                .min_by_key(|(_, p)| p.expires_at)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                g.pending.remove(&oldest);
            }
        }
        g.pending.insert(
            id.clone(),
            Pending {
                request,
                expires_at: now + Duration::from_secs(30 * 60),
            },
        );
        id
    }

    pub(crate) fn take_pending(&self, id: &str) -> Option<AuthorizeRequest> {
        let p = lock(&self.grants).pending.remove(id)?;
        (p.expires_at > Instant::now()).then_some(p.request)
    }

    /// Issues an authorization code for `user` and returns the callback URL.
    pub(crate) fn issue_code(&self, req: &AuthorizeRequest, user: TestUser) -> Url {
        let mut user = user;
        let mut org_code = req.org_code.clone();
        if req.is_create_org {
            let org = TestOrg::new(
                format!("org_{}", &super::random_hex(5)),
                req.org_name
                    .clone()
                    .unwrap_or_else(|| "New organization".to_string()),
            );
            org_code = Some(org.code.clone());
            user.organizations.push(org.clone());
            let mut users = lock(&self.users);
            if let Some(stored) = users.iter_mut().find(|u| u.id == user.id) {
                stored.organizations.push(org);
            }
        }
        let code = super::random_token(32);
        let now = Instant::now();
        let grant = CodeGrant {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri_raw.clone(),
            code_challenge: req.code_challenge.clone(),
            user,
            scopes: req.scopes.clone(),
            audience: req.audience.clone(),
            org_code,
            nonce: req.nonce.clone(),
            auth_time: claims::now_secs(),
            expires_at: now + self.ttl.code,
        };
        {
            let mut g = lock(&self.grants);
            g.codes.retain(|_, c| c.expires_at > now);
            g.codes.insert(code.clone(), grant);
        }
        let mut url = req.redirect_uri.clone();
        url.query_pairs_mut().append_pair("code", &code);
        if let Some(state) = &req.state {
            url.query_pairs_mut().append_pair("state", state);
        }
        url
    }

    /// `grant_type=authorization_code`.
    pub(crate) fn exchange_code(
        &self,
        client: &TestClient,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Value, OAuthError> {
        let grant = {
            let mut g = lock(&self.grants);
            if let Some(family) = g.used_codes.get(code).copied() {
                if let Some(f) = family {
                    g.revoke_family(f);
                }
                return Err(OAuthError::invalid_grant(
                    "authorization code has already been used; tokens issued from it are revoked",
                ));
            }
            let Some(grant) = g.codes.remove(code) else {
                return Err(OAuthError::invalid_grant("unknown authorization code"));
            };
            g.used_codes.insert(code.to_string(), None);
            grant
        };
        if grant.expires_at <= Instant::now() {
            return Err(OAuthError::invalid_grant("authorization code has expired"));
        }
        if grant.client_id != client.id {
            return Err(OAuthError::invalid_grant(
                "authorization code was issued to another client",
            ));
        }
        match redirect_uri {
            None => return Err(OAuthError::invalid_request("redirect_uri is required")),
            Some(r) if r != grant.redirect_uri => {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
            Some(_) => {}
        }
        let Some(verifier) = verifier else {
            return Err(OAuthError::invalid_request("code_verifier is required"));
        };
        if !valid_pkce_token(verifier) {
            return Err(OAuthError::invalid_request(
                "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]",
            ));
        }
        if super::pkce_s256(verifier) != grant.code_challenge {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        let family = {
            let mut g = lock(&self.grants);
            g.next_family += 1;
            let id = g.next_family;
            g.families.insert(
                id,
                Family {
                    client_id: client.id.clone(),
                    user: grant.user.clone(),
                    scopes: grant.scopes.clone(),
                    audience: grant.audience.clone(),
                    org_code: grant.org_code.clone(),
                    auth_time: grant.auth_time,
                    revoked: false,
                    access_jtis: Vec::new(),
                },
            );
            g.used_codes.insert(code.to_string(), Some(id));
            id
        };
        self.issue_user_tokens(
            family,
            &client.id,
            &grant.user,
            &grant.scopes,
            &grant.audience,
            grant.org_code.as_deref(),
            grant.nonce.as_deref(),
            grant.auth_time,
        )
    }

    /// `grant_type=refresh_token`.
    pub(crate) fn refresh(&self, client: &TestClient, token: &str) -> Result<Value, OAuthError> {
        let (family_id, snapshot, scopes, audience, org_code, auth_time) = {
            let mut g = lock(&self.grants);
            let Some(entry) = g.refresh.get(token) else {
                return Err(OAuthError::invalid_grant("unknown refresh token"));
            };
            let family_id = entry.family;
            let expired = entry.expires_at <= Instant::now();
            let rotated_at = entry.rotated_at;
            let Some(family) = g.families.get(&family_id) else {
                return Err(OAuthError::invalid_grant("unknown refresh token"));
            };
            if family.revoked {
                return Err(OAuthError::invalid_grant("refresh token has been revoked"));
            }
            if family.client_id != client.id {
                return Err(OAuthError::invalid_grant(
                    "refresh token was issued to another client",
                ));
            }
            if expired {
                return Err(OAuthError::invalid_grant("refresh token has expired"));
            }
            let data = (
                family_id,
                family.user.clone(),
                family.scopes.clone(),
                family.audience.clone(),
                family.org_code.clone(),
                family.auth_time,
            );
            match rotated_at {
                Some(at) if at.elapsed() >= self.ttl.refresh_grace => {
                    g.revoke_family(family_id);
                    return Err(OAuthError::invalid_grant(
                        "refresh token was already used (reuse detected); the token family is revoked",
                    ));
                }
                Some(_) => {}
                None => {
                    if let Some(e) = g.refresh.get_mut(token) {
                        e.rotated_at = Some(Instant::now());
                    }
                }
            }
            data
        };
        let user = self.find_user(&snapshot.id).unwrap_or(snapshot);
        self.issue_user_tokens(
            family_id,
            &client.id,
            &user,
            &scopes,
            &audience,
            org_code.as_deref(),
            None,
            auth_time,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn issue_user_tokens(
        &self,
        family: u64,
        client_id: &str,
        user: &TestUser,
        scopes: &[String],
        audience: &[String],
        org_code: Option<&str>,
        nonce: Option<&str>,
        auth_time: i64,
    ) -> Result<Value, OAuthError> {
        let now = claims::now_secs();
        let org = Self::resolve_org(user, org_code);
        // What the Management API gave the user (in this organisation) is in the token.
        let user = &self.with_management(user, org.as_ref().map(|o| o.code.as_str()));
        let access_ctx = TokenContext {
            issuer: &self.issuer,
            client_id,
            audience,
            scopes,
            org: org.as_ref(),
            iat: now,
            exp: now.saturating_add(claims::secs(self.ttl.access)),
        };
        let access_claims = claims::access_claims(user, &access_ctx);
        let jti = access_claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let access_token = self.sign(&access_claims)?;
        let id_ctx = TokenContext {
            audience: &[],
            exp: now.saturating_add(claims::secs(self.ttl.id)),
            ..access_ctx
        };
        let id_claims = claims::id_claims(
            user,
            &id_ctx,
            auth_time,
            nonce,
            Some(&access_token),
            self.started_at,
        );
        let id_token = self.sign(&id_claims)?;
        let offline = scopes.iter().any(|s| s == "offline");
        let refresh_token = offline.then(|| super::random_token(32));
        {
            let mut g = lock(&self.grants);
            if let Some(f) = g.families.get_mut(&family) {
                f.access_jtis.push(jti);
            }
            if let Some(rt) = &refresh_token {
                let now = Instant::now();
                g.refresh.retain(|_, e| e.expires_at > now);
                g.refresh.insert(
                    rt.clone(),
                    RefreshEntry {
                        family,
                        expires_at: now + self.ttl.refresh,
                        rotated_at: None,
                    },
                );
            }
        }
        let mut body = json!({
            "access_token": access_token,
            "id_token": id_token,
            "token_type": "bearer",
            "expires_in": claims::secs(self.ttl.access),
            "scope": scopes.join(" "),
        });
        if let (Some(rt), Some(obj)) = (refresh_token, body.as_object_mut()) {
            obj.insert("refresh_token".into(), Value::String(rt));
        }
        Ok(body)
    }

    /// `grant_type=client_credentials`.
    pub(crate) fn client_credentials(
        &self,
        client: &TestClient,
        audience: Vec<String>,
        scopes: Vec<String>,
    ) -> Result<Value, OAuthError> {
        if !client.is_confidential() {
            return Err(OAuthError::new(
                400,
                "unauthorized_client",
                "client_credentials requires a confidential client",
            ));
        }
        let now = claims::now_secs();
        let exp = now.saturating_add(claims::secs(self.ttl.access));
        let c = claims::m2m_claims(&self.issuer, &client.id, &audience, &scopes, now, exp);
        let token = self.sign(&c)?;
        Ok(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": claims::secs(self.ttl.access),
            "scope": scopes.join(" "),
        }))
    }

    /// Verifies a JWT issued by this server: RS256, a published `kid`, signature, `iss`,
    /// `exp`/`nbf` (no leeway) and not revoked. Returns its claims.
    pub(crate) fn verify_token(&self, token: &str) -> Result<Map<String, Value>, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "malformed token".to_string())?;
        if header.alg != Algorithm::RS256 {
            return Err("token is not signed with RS256".into());
        }
        let kid = header.kid.ok_or_else(|| "token has no kid".to_string())?;
        let key = self
            .published_keys()
            .into_iter()
            .find(|k| k.kid() == kid)
            .ok_or_else(|| "token is signed with an unknown key".to_string())?;
        let mut v = Validation::new(Algorithm::RS256);
        v.leeway = 0;
        v.validate_aud = false;
        v.validate_nbf = true;
        v.set_issuer(&[self.issuer.as_str()]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding_key(), &v)
            .map_err(|e| format!("invalid token: {e}"))?;
        if let Some(jti) = data.claims.get("jti").and_then(Value::as_str)
            && lock(&self.grants).revoked_jtis.contains(jti)
        {
            return Err("token has been revoked".into());
        }
        Ok(data.claims)
    }

    /// Introspection of a refresh token, if it is one of ours.
    pub(crate) fn introspect_refresh(&self, token: &str) -> Option<Value> {
        let g = lock(&self.grants);
        let entry = g.refresh.get(token)?;
        let family = g.families.get(&entry.family)?;
        let now = Instant::now();
        let active = !family.revoked
            && entry.expires_at > now
            && entry
                .rotated_at
                .is_none_or(|at| at.elapsed() < self.ttl.refresh_grace);
        if !active {
            return Some(json!({ "active": false }));
        }
        let remaining = entry.expires_at.saturating_duration_since(now);
        Some(json!({
            "active": true,
            "token_type": "refresh_token",
            "client_id": family.client_id,
            "sub": family.user.id,
            "scope": family.scopes.join(" "),
            "aud": family.audience,
            "exp": claims::now_secs().saturating_add(claims::secs(remaining)),
        }))
    }

    /// Revokes a token for `client` (RFC 7009: unknown tokens are not an error).
    pub(crate) fn revoke(&self, client: Option<&TestClient>, token: &str) {
        let mut g = lock(&self.grants);
        if let Some(entry) = g.refresh.get(token) {
            let family = entry.family;
            let owned = g
                .families
                .get(&family)
                .is_some_and(|f| client.is_none_or(|c| c.id == f.client_id));
            if owned {
                if let Some(f) = g.families.get_mut(&family) {
                    f.revoked = true;
                }
                g.refresh.retain(|_, e| e.family != family);
            }
            return;
        }
        drop(g);
        if let Ok(claims) = self.verify_token(token) {
            let azp = claims.get("azp").and_then(Value::as_str);
            if client.is_some_and(|c| Some(c.id.as_str()) != azp) {
                return;
            }
            if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
                lock(&self.grants).revoked_jtis.insert(jti.to_string());
            }
        }
    }

    pub(crate) fn revoke_all_refresh_tokens(&self) {
        lock(&self.grants).refresh.clear();
    }
}

/// RFC 7636 `code_verifier` / `code_challenge` syntax: 43–128 unreserved characters.
pub(crate) fn valid_pkce_token(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}
