//! The tiny to-do store, the `/me` document and the permission and role types shared
//! by the example apps (one declaration works with both adapters).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

kinde_core::permission!(pub ReadTodos = "read:todos");
kinde_core::permission!(pub WriteTodos = "write:todos");
kinde_core::role!(pub Admin = "admin");

/// To-dos per user id, in memory.
#[derive(Clone, Default)]
pub struct Todos(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Todos {
    /// The user's to-dos.
    pub fn list(&self, user: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .cloned()
            .unwrap_or_default()
    }

    /// Add a to-do; returns the user's list.
    pub fn add(&self, user: &str, title: String) -> Vec<String> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(user.to_string()).or_default();
        list.push(title);
        list.clone()
    }
}

/// The `/me` JSON document: `{"id","email","given_name","family_name","org_code",
/// "permissions":[…],"roles":[role keys],"feature_flags":{name: typed value}}`.
pub fn me_json(
    user: &kinde_core::KindeUser,
    permissions: &kinde_core::Permissions,
    roles: &kinde_core::Roles,
    flags: &kinde_core::FeatureFlags,
) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "org_code": user.org_code,
        "permissions": permissions.keys(),
        "roles": roles.keys().collect::<Vec<_>>(),
        "feature_flags": flags.to_json(),
    })
}

/// Read `{"title": "…"}` from a to-do request body.
pub fn title_of(body: &Value) -> Option<String> {
    body.get("title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .map(str::to_string)
}
