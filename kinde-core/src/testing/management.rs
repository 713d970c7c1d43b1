//! A real subset of Kinde's Management API (`/api/v1/...`), backed by the server's own
//! state, so that management calls change what later sign-ins and refreshes see: users
//! (create, get, update, delete, list with paging), organisations and their users, roles
//! and permissions (create, give a role permissions, assign roles and permissions to an
//! organisation's user), and feature flags with organisation and user overrides.
//!
//! Every request needs an M2M access token of this server for the audience
//! `<issuer>/api`. Any other `/api/v1/...` request is a `501` with a JSON error, never a
//! made-up success. One simplification: a user's roles and permissions from the
//! Management API are per organisation, as in Kinde, but the roles and permissions a
//! [`TestUser`] was built with apply in every organisation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, any, delete, get, patch, post};
use serde_json::{Map, Value, json};

use super::Endpoint;
use super::http::{Params, bearer, json_response};
use super::state::{Shared, lock};
use super::users::{TestOrg, TestRole, TestUser};

const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 500;

/// What the Management API keeps besides the users.
#[derive(Default)]
pub(crate) struct Directory {
    next_id: u64,
    /// Organisations created through the API (users' own organisations are known too).
    orgs: Vec<TestOrg>,
    roles: Vec<RoleDef>,
    permissions: Vec<PermissionDef>,
    flags: Vec<FlagDef>,
    /// `(org_code, user_id)` → role ids.
    org_user_roles: BTreeMap<(String, String), BTreeSet<String>>,
    /// `(org_code, user_id)` → permission ids given directly.
    org_user_permissions: BTreeMap<(String, String), BTreeSet<String>>,
    /// `(org_code, flag key)` → value.
    org_flags: BTreeMap<(String, String), Value>,
    /// `(user_id, flag key)` → value.
    user_flags: BTreeMap<(String, String), Value>,
}

struct RoleDef {
    id: String,
    key: String,
    name: String,
    description: Option<String>,
    permissions: BTreeSet<String>,
}

struct PermissionDef {
    id: String,
    key: String,
    name: String,
    description: Option<String>,
}

struct FlagDef {
    key: String,
    /// Kinde's type code in tokens: `s`, `i` or `b`.
    code: &'static str,
    default: Value,
}

impl Directory {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_{:012x}", self.next_id)
    }

    fn role_json(r: &RoleDef) -> Value {
        json!({"id": r.id, "key": r.key, "name": r.name, "description": r.description, "is_default_role": false})
    }

    fn permission_json(p: &PermissionDef) -> Value {
        json!({"id": p.id, "key": p.key, "name": p.name, "description": p.description})
    }
}

impl Shared {
    /// `user` as a token issued for organisation `org` shows them: with the roles,
    /// permissions and feature flags the Management API gave them there.
    pub(crate) fn with_management(&self, user: &TestUser, org: Option<&str>) -> TestUser {
        let dir = lock(&self.directory);
        let mut user = user.clone();
        if let Some(org) = org {
            let key = (org.to_string(), user.id.clone());
            let mut permission_ids: BTreeSet<String> = dir
                .org_user_permissions
                .get(&key)
                .cloned()
                .unwrap_or_default();
            for role_id in dir.org_user_roles.get(&key).into_iter().flatten() {
                if let Some(role) = dir.roles.iter().find(|r| &r.id == role_id) {
                    if !user.roles.iter().any(|r| r.key == role.key) {
                        user.roles.push(TestRole {
                            id: role.id.clone(),
                            key: role.key.clone(),
                            name: role.name.clone(),
                        });
                    }
                    permission_ids.extend(role.permissions.iter().cloned());
                }
            }
            for id in permission_ids {
                if let Some(p) = dir.permissions.iter().find(|p| p.id == id)
                    && !user.permissions.contains(&p.key)
                {
                    user.permissions.push(p.key.clone());
                }
            }
        }
        for flag in &dir.flags {
            let value = dir
                .user_flags
                .get(&(user.id.clone(), flag.key.clone()))
                .or_else(|| org.and_then(|o| dir.org_flags.get(&(o.to_string(), flag.key.clone()))))
                .unwrap_or(&flag.default);
            user.feature_flags
                .insert(flag.key.clone(), json!({"t": flag.code, "v": value}));
        }
        user
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/api/v1/user",
            or_501(
                get(get_user)
                    .post(create_user)
                    .patch(update_user)
                    .delete(delete_user),
            ),
        )
        .route("/api/v1/users", or_501(get(list_users)))
        .route(
            "/api/v1/users/{user_id}/feature_flags/{key}",
            or_501(patch(user_flag)),
        )
        .route(
            "/api/v1/organization",
            or_501(get(get_org).post(create_org)),
        )
        .route(
            "/api/v1/organization/{org_code}",
            or_501(delete(delete_org)),
        )
        .route("/api/v1/organizations", or_501(get(list_orgs)))
        .route(
            "/api/v1/organizations/{org_code}/users",
            or_501(get(list_org_users).post(add_org_users)),
        )
        .route(
            "/api/v1/organizations/{org_code}/users/{user_id}",
            or_501(delete(remove_org_user)),
        )
        .route(
            "/api/v1/organizations/{org_code}/users/{user_id}/roles",
            or_501(get(org_user_roles).post(add_org_user_role)),
        )
        .route(
            "/api/v1/organizations/{org_code}/users/{user_id}/roles/{role_id}",
            or_501(delete(remove_org_user_role)),
        )
        .route(
            "/api/v1/organizations/{org_code}/users/{user_id}/permissions",
            or_501(get(org_user_permissions).post(add_org_user_permission)),
        )
        .route(
            "/api/v1/organizations/{org_code}/users/{user_id}/permissions/{permission_id}",
            or_501(delete(remove_org_user_permission)),
        )
        .route(
            "/api/v1/organizations/{org_code}/feature_flags/{key}",
            or_501(patch(org_flag)),
        )
        .route("/api/v1/roles", or_501(get(list_roles).post(create_role)))
        .route("/api/v1/roles/{role_id}", or_501(delete(delete_role)))
        .route(
            "/api/v1/roles/{role_id}/permissions",
            or_501(get(role_permissions).patch(update_role_permissions)),
        )
        .route(
            "/api/v1/permissions",
            or_501(get(list_permissions).post(create_permission)),
        )
        .route(
            "/api/v1/permissions/{permission_id}",
            or_501(delete(delete_permission)),
        )
        .route("/api/v1/feature_flags", or_501(post(create_flag)))
        .route("/api/v1/{*rest}", any(not_implemented))
}

fn or_501(route: MethodRouter<Arc<Shared>>) -> MethodRouter<Arc<Shared>> {
    route.fallback(not_implemented)
}

fn error(status: u16, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"errors": [{"code": code, "message": message}]}),
    )
}

fn ok(body: Value) -> Response {
    json_response(200, &body)
}

fn success(status: u16, message: &str) -> Response {
    json_response(status, &json!({"code": "OK", "message": message}))
}

async fn not_implemented(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(denied) = authorize(&s, &headers) {
        return *denied;
    }
    error(
        501,
        "NOT_IMPLEMENTED",
        "the local Kinde server does not implement this Management API operation",
    )
}

/// Every request: count it, then require an M2M token of this server for `<issuer>/api`
/// (a test can make the next requests answer 401 or 429 first).
fn authorize(s: &Shared, headers: &HeaderMap) -> Result<(), Box<Response>> {
    s.counters.hit(Endpoint::ManagementApi);
    let take = |n: &std::sync::atomic::AtomicU32| {
        n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
            .is_ok()
    };
    if take(&s.knobs.management_throttle) {
        let mut resp = error(429, "TOO_MANY_REQUESTS", "Request was throttled.");
        resp.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        return Err(Box::new(resp));
    }
    if take(&s.knobs.management_reject) {
        return Err(Box::new(error(
            401,
            "UNAUTHORIZED",
            "the token was revoked",
        )));
    }
    let Some(token) = bearer(headers) else {
        return Err(Box::new(error(
            401,
            "UNAUTHORIZED",
            "a Bearer M2M token is required",
        )));
    };
    let claims = s
        .verify_token(token)
        .map_err(|e| Box::new(error(401, "UNAUTHORIZED", &e)))?;
    let audience = format!("{}/api", s.issuer);
    let for_api = match claims.get("aud") {
        Some(Value::String(a)) => *a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&audience)),
        _ => false,
    };
    if !claims.contains_key("gty") || !for_api {
        return Err(Box::new(error(
            403,
            "FORBIDDEN",
            "the Management API needs an M2M token for the audience <issuer>/api",
        )));
    }
    Ok(())
}

macro_rules! authorized {
    ($s:expr, $headers:expr) => {
        if let Err(denied) = authorize(&$s, &$headers) {
            return *denied;
        }
    };
}

fn body_json(body: &Bytes) -> Result<Map<String, Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Box::new(error(
            400,
            "INVALID_BODY",
            "the body is not a JSON object",
        ))),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A page of `items` and the token of the next: `page_size` (default 10) and the
/// opaque `next_token` this server gave.
fn page(items: Vec<Value>, query: &Params) -> (Vec<Value>, Option<String>) {
    let size = query
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    let start = query
        .get("next_token")
        .and_then(|t| t.strip_prefix("offset_"))
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0)
        .min(items.len());
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| format!("offset_{end}"));
    (items[start..end].to_vec(), next)
}

fn user_json(u: &TestUser) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "preferred_email": u.email,
        "first_name": u.given_name,
        "last_name": u.family_name,
        "picture": u.picture,
        "is_suspended": false,
        "organizations": u.organizations.iter().map(|o| o.code.clone()).collect::<Vec<_>>(),
        "identities": [{"type": "email", "identity": u.email}],
    })
}

fn all_orgs(s: &Shared) -> Vec<TestOrg> {
    let mut orgs = lock(&s.directory).orgs.clone();
    for user in lock(&s.users).iter() {
        for org in &user.organizations {
            if !orgs.iter().any(|o| o.code == org.code) {
                orgs.push(org.clone());
            }
        }
    }
    orgs
}

fn find_org(s: &Shared, code: &str) -> Option<TestOrg> {
    all_orgs(s).into_iter().find(|o| o.code == code)
}

// --- users -------------------------------------------------------------------------

async fn get_user(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    match q.get("id").and_then(|id| s.find_user(id)) {
        Some(u) => ok(user_json(&u)),
        None => error(404, "USER_NOT_FOUND", "No user with this id."),
    }
}

async fn create_user(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    authorized!(s, headers);
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let profile = body
        .get("profile")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let email = body
        .get("identities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|i| i["type"] == "email")
        .and_then(|i| i["details"]["email"].as_str())
        .map(str::to_string);
    let Some(email) = email else {
        return error(
            400,
            "EMAIL_REQUIRED",
            "The local server needs an email identity.",
        );
    };
    let org = text(&body, "organization_code");
    let org = match org {
        Some(code) => match find_org(&s, &code) {
            Some(o) => Some(o),
            None => {
                return error(
                    400,
                    "ORGANIZATION_INVALID",
                    "No organisation with this code.",
                );
            }
        },
        None => None,
    };
    let mut users = lock(&s.users);
    if users.iter().any(|u| u.email.eq_ignore_ascii_case(&email)) {
        return error(409, "USER_ALREADY_EXISTS", "A user with this email exists.");
    }
    let id = format!(
        "kp_{}",
        super::random_token(12)
            .to_ascii_lowercase()
            .replace(['-', '_'], "0")
    );
    let mut user = TestUser::new(id.clone(), email.clone()).name(
        text(&profile, "given_name").unwrap_or_default(),
        text(&profile, "family_name").unwrap_or_default(),
    );
    if let Some(org) = org {
        user = user.org_with(org);
    }
    users.push(user);
    ok(json!({
        "id": id,
        "created": true,
        "identities": [{"type": "email", "result": {"created": true}}],
    }))
}

async fn update_user(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let mut users = lock(&s.users);
    let Some(user) = q
        .get("id")
        .and_then(|id| users.iter_mut().find(|u| u.id == id))
    else {
        return error(404, "USER_NOT_FOUND", "No user with this id.");
    };
    if let Some(given) = text(&body, "given_name") {
        user.given_name = given;
    }
    if let Some(family) = text(&body, "family_name") {
        user.family_name = family;
    }
    if let Some(picture) = text(&body, "picture") {
        user.picture = Some(picture);
    }
    ok(json!({
        "id": user.id,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "is_suspended": false,
        "picture": user.picture,
    }))
}

async fn delete_user(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let Some(id) = q.get("id").map(str::to_string) else {
        return error(400, "USER_ID_REQUIRED", "id is required.");
    };
    let mut users = lock(&s.users);
    let before = users.len();
    users.retain(|u| u.id != id);
    if users.len() == before {
        return error(404, "USER_NOT_FOUND", "No user with this id.");
    }
    success(200, "User successfully deleted")
}

async fn list_users(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let users: Vec<Value> = lock(&s.users)
        .iter()
        .filter(|u| {
            q.get("email")
                .is_none_or(|e| u.email.eq_ignore_ascii_case(e))
        })
        .filter(|u| q.get("user_id").is_none_or(|id| u.id == id))
        .map(user_json)
        .collect();
    let (users, next) = page(users, &q);
    ok(json!({"code": "OK", "message": "Success", "users": users, "next_token": next}))
}

async fn user_flag(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((user_id, key)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    if s.find_user(&user_id).is_none() {
        return error(404, "USER_NOT_FOUND", "No user with this id.");
    }
    set_override(&s, &q, &key, |dir, value| {
        dir.user_flags.insert((user_id.clone(), key.clone()), value);
    })
}

// --- organisations -----------------------------------------------------------------

fn org_json(o: &TestOrg) -> Value {
    json!({"code": o.code, "name": o.name, "handle": null, "is_default": false})
}

async fn get_org(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    match q.get("code").and_then(|c| find_org(&s, c)) {
        Some(o) => ok(org_json(&o)),
        None => error(
            404,
            "ORGANIZATION_NOT_FOUND",
            "No organisation with this code.",
        ),
    }
}

async fn create_org(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    authorized!(s, headers);
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let Some(name) = text(&body, "name").filter(|n| !n.trim().is_empty()) else {
        return error(400, "NAME_REQUIRED", "name is required.");
    };
    let mut dir = lock(&s.directory);
    let code = dir.id("org");
    dir.orgs.push(TestOrg::new(code.clone(), name));
    ok(json!({"message": "Success", "code": "OK", "organization": {"code": code}}))
}

async fn delete_org(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    authorized!(s, headers);
    if find_org(&s, &code).is_none() {
        return error(
            404,
            "ORGANIZATION_NOT_FOUND",
            "No organisation with this code.",
        );
    }
    lock(&s.directory).orgs.retain(|o| o.code != code);
    for user in lock(&s.users).iter_mut() {
        user.organizations.retain(|o| o.code != code);
    }
    success(200, "Organization successfully deleted")
}

async fn list_orgs(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let orgs: Vec<Value> = all_orgs(&s).iter().map(org_json).collect();
    let (orgs, next) = page(orgs, &q);
    ok(json!({"code": "OK", "message": "Success", "organizations": orgs, "next_token": next}))
}

fn role_keys(s: &Shared, org: &str, user: &str) -> Vec<String> {
    let dir = lock(&s.directory);
    dir.org_user_roles
        .get(&(org.to_string(), user.to_string()))
        .into_iter()
        .flatten()
        .filter_map(|id| {
            dir.roles
                .iter()
                .find(|r| &r.id == id)
                .map(|r| r.key.clone())
        })
        .collect()
}

async fn list_org_users(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    if find_org(&s, &code).is_none() {
        return error(
            404,
            "ORGANIZATION_NOT_FOUND",
            "No organisation with this code.",
        );
    }
    let members: Vec<TestUser> = lock(&s.users)
        .iter()
        .filter(|u| u.organization(&code).is_some())
        .cloned()
        .collect();
    let users: Vec<Value> = members
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "email": u.email,
                "first_name": u.given_name,
                "last_name": u.family_name,
                "full_name": format!("{} {}", u.given_name, u.family_name).trim().to_string(),
                "roles": role_keys(&s, &code, &u.id),
            })
        })
        .collect();
    let (users, next) = page(users, &q);
    ok(json!({"code": "OK", "message": "Success", "organization_users": users, "next_token": next}))
}

async fn add_org_users(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    authorized!(s, headers);
    let Some(org) = find_org(&s, &code) else {
        return error(
            404,
            "ORGANIZATION_NOT_FOUND",
            "No organisation with this code.",
        );
    };
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let entries = body
        .get("users")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut added = Vec::new();
    for entry in &entries {
        let Some(id) = entry["id"].as_str() else {
            return error(400, "USER_ID_REQUIRED", "Each user needs an id.");
        };
        {
            let mut users = lock(&s.users);
            let Some(user) = users.iter_mut().find(|u| u.id == id) else {
                return error(400, "USER_INVALID", "No user with this id.");
            };
            if user.organization(&code).is_none() {
                user.organizations.push(org.clone());
            }
        }
        let mut dir = lock(&s.directory);
        let key = (code.clone(), id.to_string());
        for role_key in entry["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let Some(role) = dir
                .roles
                .iter()
                .find(|r| r.key == role_key)
                .map(|r| r.id.clone())
            else {
                return error(400, "ROLE_INVALID", "No role with this key.");
            };
            dir.org_user_roles
                .entry(key.clone())
                .or_default()
                .insert(role);
        }
        for perm_key in entry["permissions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let Some(perm) = dir
                .permissions
                .iter()
                .find(|p| p.key == perm_key)
                .map(|p| p.id.clone())
            else {
                return error(400, "PERMISSION_INVALID", "No permission with this key.");
            };
            dir.org_user_permissions
                .entry(key.clone())
                .or_default()
                .insert(perm);
        }
        added.push(id.to_string());
    }
    ok(json!({"code": "OK", "message": "Users successfully added", "users_added": added}))
}

/// The organisation and its member, or the 404 that says which is missing.
fn member(s: &Shared, org: &str, user: &str) -> Result<(), Box<Response>> {
    if find_org(s, org).is_none() {
        return Err(Box::new(error(
            404,
            "ORGANIZATION_NOT_FOUND",
            "No organisation with this code.",
        )));
    }
    match s.find_user(user) {
        Some(u) if u.organization(org).is_some() => Ok(()),
        _ => Err(Box::new(error(
            404,
            "USER_NOT_FOUND",
            "No such user in this organisation.",
        ))),
    }
}

async fn remove_org_user(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id)): Path<(String, String)>,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    if let Some(u) = lock(&s.users).iter_mut().find(|u| u.id == user_id) {
        u.organizations.retain(|o| o.code != code);
    }
    let mut dir = lock(&s.directory);
    dir.org_user_roles.remove(&(code.clone(), user_id.clone()));
    dir.org_user_permissions.remove(&(code, user_id));
    success(200, "User successfully removed")
}

async fn org_user_roles(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id)): Path<(String, String)>,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    let dir = lock(&s.directory);
    let roles: Vec<Value> = dir
        .org_user_roles
        .get(&(code, user_id))
        .into_iter()
        .flatten()
        .filter_map(|id| dir.roles.iter().find(|r| &r.id == id))
        .map(|r| json!({"id": r.id, "key": r.key, "name": r.name}))
        .collect();
    ok(json!({"code": "OK", "message": "Success", "roles": roles}))
}

async fn add_org_user_role(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let mut dir = lock(&s.directory);
    let Some(role) = text(&body, "role_id").filter(|id| dir.roles.iter().any(|r| &r.id == id))
    else {
        return error(400, "ROLE_INVALID", "No role with this id.");
    };
    dir.org_user_roles
        .entry((code, user_id))
        .or_default()
        .insert(role);
    success(200, "Role successfully added")
}

async fn remove_org_user_role(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id, role_id)): Path<(String, String, String)>,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    let mut dir = lock(&s.directory);
    let removed = dir
        .org_user_roles
        .get_mut(&(code, user_id))
        .is_some_and(|roles| roles.remove(&role_id));
    if removed {
        success(200, "Role successfully removed")
    } else {
        error(
            404,
            "ROLE_NOT_FOUND",
            "The user does not have this role here.",
        )
    }
}

async fn org_user_permissions(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id)): Path<(String, String)>,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    let key = (code, user_id);
    let dir = lock(&s.directory);
    let mut granted: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for id in dir.org_user_permissions.get(&key).into_iter().flatten() {
        granted.entry(id.clone()).or_default();
    }
    for role_id in dir.org_user_roles.get(&key).into_iter().flatten() {
        if let Some(role) = dir.roles.iter().find(|r| &r.id == role_id) {
            for p in &role.permissions {
                granted
                    .entry(p.clone())
                    .or_default()
                    .push(json!({"id": role.id, "key": role.key}));
            }
        }
    }
    let permissions: Vec<Value> = granted
        .into_iter()
        .filter_map(|(id, roles)| {
            let p = dir.permissions.iter().find(|p| p.id == id)?;
            let mut v = Directory::permission_json(p);
            v["roles"] = Value::Array(roles);
            Some(v)
        })
        .collect();
    ok(json!({"code": "OK", "message": "Success", "permissions": permissions}))
}

async fn add_org_user_permission(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let mut dir = lock(&s.directory);
    let Some(permission) =
        text(&body, "permission_id").filter(|id| dir.permissions.iter().any(|p| &p.id == id))
    else {
        return error(400, "PERMISSION_INVALID", "No permission with this id.");
    };
    dir.org_user_permissions
        .entry((code, user_id))
        .or_default()
        .insert(permission);
    success(200, "Permission successfully added")
}

async fn remove_org_user_permission(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, user_id, permission_id)): Path<(String, String, String)>,
) -> Response {
    authorized!(s, headers);
    if let Err(e) = member(&s, &code, &user_id) {
        return *e;
    }
    let mut dir = lock(&s.directory);
    let removed = dir
        .org_user_permissions
        .get_mut(&(code, user_id))
        .is_some_and(|p| p.remove(&permission_id));
    if removed {
        success(200, "Permission successfully removed")
    } else {
        error(
            404,
            "PERMISSION_NOT_FOUND",
            "The user does not have this permission here.",
        )
    }
}

async fn org_flag(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((code, key)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    if find_org(&s, &code).is_none() {
        return error(
            404,
            "ORGANIZATION_NOT_FOUND",
            "No organisation with this code.",
        );
    }
    set_override(&s, &q, &key, |dir, value| {
        dir.org_flags.insert((code.clone(), key.clone()), value);
    })
}

/// `?value=` for flag `key`, parsed as the flag's type, then stored by `store`.
fn set_override(
    s: &Shared,
    query: &Option<String>,
    key: &str,
    store: impl FnOnce(&mut Directory, Value),
) -> Response {
    let q = Params::query(query.as_deref());
    let mut dir = lock(&s.directory);
    let Some(code) = dir.flags.iter().find(|f| f.key == key).map(|f| f.code) else {
        return error(404, "FLAG_NOT_FOUND", "No feature flag with this key.");
    };
    let Some(raw) = q.get("value") else {
        return error(400, "VALUE_REQUIRED", "value is required.");
    };
    let Some(value) = flag_value(code, raw) else {
        return error(
            400,
            "VALUE_INVALID",
            "The value does not fit the flag's type.",
        );
    };
    store(&mut dir, value);
    success(200, "Feature flag override successfully updated")
}

fn flag_value(code: &str, raw: &str) -> Option<Value> {
    match code {
        "b" => raw.parse::<bool>().ok().map(Value::Bool),
        "i" => raw.parse::<i64>().ok().map(Value::from),
        _ => Some(Value::String(raw.to_string())),
    }
}

// --- roles, permissions, flags -------------------------------------------------------

async fn list_roles(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let roles: Vec<Value> = lock(&s.directory)
        .roles
        .iter()
        .map(Directory::role_json)
        .collect();
    let (roles, next) = page(roles, &q);
    ok(json!({"code": "OK", "message": "Success", "roles": roles, "next_token": next}))
}

async fn create_role(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    authorized!(s, headers);
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let (Some(key), Some(name)) = (text(&body, "key"), text(&body, "name")) else {
        return error(400, "KEY_AND_NAME_REQUIRED", "key and name are required.");
    };
    let mut dir = lock(&s.directory);
    if dir.roles.iter().any(|r| r.key == key) {
        return error(409, "ROLE_ALREADY_EXISTS", "A role with this key exists.");
    }
    let id = dir.id("role");
    dir.roles.push(RoleDef {
        id: id.clone(),
        key,
        name,
        description: text(&body, "description"),
        permissions: BTreeSet::new(),
    });
    json_response(
        201,
        &json!({"code": "OK", "message": "Role successfully created", "role": {"id": id}}),
    )
}

async fn delete_role(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(role_id): Path<String>,
) -> Response {
    authorized!(s, headers);
    let mut dir = lock(&s.directory);
    let before = dir.roles.len();
    dir.roles.retain(|r| r.id != role_id);
    if dir.roles.len() == before {
        return error(404, "ROLE_NOT_FOUND", "No role with this id.");
    }
    for roles in dir.org_user_roles.values_mut() {
        roles.remove(&role_id);
    }
    success(200, "Role successfully deleted")
}

async fn role_permissions(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(role_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let dir = lock(&s.directory);
    let Some(role) = dir.roles.iter().find(|r| r.id == role_id) else {
        return error(404, "ROLE_NOT_FOUND", "No role with this id.");
    };
    let permissions: Vec<Value> = dir
        .permissions
        .iter()
        .filter(|p| role.permissions.contains(&p.id))
        .map(Directory::permission_json)
        .collect();
    let (permissions, next) = page(permissions, &q);
    ok(json!({"code": "OK", "message": "Success", "permissions": permissions, "next_token": next}))
}

async fn update_role_permissions(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(role_id): Path<String>,
    body: Bytes,
) -> Response {
    authorized!(s, headers);
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let mut dir = lock(&s.directory);
    let known: BTreeSet<String> = dir.permissions.iter().map(|p| p.id.clone()).collect();
    let Some(role) = dir.roles.iter_mut().find(|r| r.id == role_id) else {
        return error(404, "ROLE_NOT_FOUND", "No role with this id.");
    };
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for entry in body
        .get("permissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = entry["id"].as_str().filter(|id| known.contains(*id)) else {
            return error(400, "PERMISSION_INVALID", "No permission with this id.");
        };
        if entry["operation"] == "delete" {
            if role.permissions.remove(id) {
                removed.push(id.to_string());
            }
        } else if role.permissions.insert(id.to_string()) {
            added.push(id.to_string());
        }
    }
    ok(json!({
        "code": "OK",
        "message": "Permissions successfully updated",
        "permissions_added": added,
        "permissions_removed": removed,
    }))
}

async fn list_permissions(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    authorized!(s, headers);
    let q = Params::query(q.as_deref());
    let permissions: Vec<Value> = lock(&s.directory)
        .permissions
        .iter()
        .map(Directory::permission_json)
        .collect();
    let (permissions, next) = page(permissions, &q);
    ok(json!({"code": "OK", "message": "Success", "permissions": permissions, "next_token": next}))
}

async fn create_permission(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    authorized!(s, headers);
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let (Some(key), Some(name)) = (text(&body, "key"), text(&body, "name")) else {
        return error(400, "KEY_AND_NAME_REQUIRED", "key and name are required.");
    };
    let mut dir = lock(&s.directory);
    if dir.permissions.iter().any(|p| p.key == key) {
        return error(
            409,
            "PERMISSION_ALREADY_EXISTS",
            "A permission with this key exists.",
        );
    }
    let id = dir.id("perm");
    dir.permissions.push(PermissionDef {
        id,
        key,
        name,
        description: text(&body, "description"),
    });
    success(201, "Permission successfully created")
}

async fn delete_permission(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(permission_id): Path<String>,
) -> Response {
    authorized!(s, headers);
    let mut dir = lock(&s.directory);
    let before = dir.permissions.len();
    dir.permissions.retain(|p| p.id != permission_id);
    if dir.permissions.len() == before {
        return error(404, "PERMISSION_NOT_FOUND", "No permission with this id.");
    }
    for role in &mut dir.roles {
        role.permissions.remove(&permission_id);
    }
    for granted in dir.org_user_permissions.values_mut() {
        granted.remove(&permission_id);
    }
    success(200, "Permission successfully deleted")
}

async fn create_flag(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    authorized!(s, headers);
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let Some(key) = text(&body, "key") else {
        return error(400, "KEY_REQUIRED", "key is required.");
    };
    let code = match body.get("type").and_then(Value::as_str) {
        Some("bool") => "b",
        Some("int") => "i",
        Some("str") => "s",
        _ => return error(400, "TYPE_INVALID", "type is one of str, int, bool."),
    };
    let raw = match body.get("default_value") {
        Some(Value::String(v)) => v.clone(),
        Some(other) if !other.is_null() => other.to_string(),
        _ => return error(400, "DEFAULT_VALUE_REQUIRED", "default_value is required."),
    };
    let Some(default) = flag_value(code, &raw) else {
        return error(
            400,
            "DEFAULT_VALUE_INVALID",
            "default_value does not fit the type.",
        );
    };
    let mut dir = lock(&s.directory);
    if dir.flags.iter().any(|f| f.key == key) {
        return error(
            409,
            "FLAG_ALREADY_EXISTS",
            "A feature flag with this key exists.",
        );
    }
    dir.flags.push(FlagDef { key, code, default });
    success(201, "Feature flag successfully created")
}
