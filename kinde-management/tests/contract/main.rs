//! The contract test over the whole pinned spec: for every operation of
//! `spec/kinde-management-api.yaml`, the client has a method, and the request it sends
//! (over real HTTP, to a recording server on loopback) has the method, the path, the
//! required path and query parameters and the body shape that the spec defines, plus
//! the M2M bearer token. What a request must look like is read from the spec file here,
//! at test time; only the call sites (`calls.rs`) are generated, since Rust cannot call
//! a method by name. The sample values are derived from the spec as well.

mod calls;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use kinde_core::Kinde;
use kinde_core::testing::TestKinde;
use kinde_management::{Client, Logo, LogoType};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// One operation's call.
pub type Call = for<'a> fn(&'a Client) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/spec/kinde-management-api.yaml"
        );
        serde_yaml::from_str(&std::fs::read_to_string(path).expect("the pinned spec"))
            .expect("YAML")
    })
}

fn resolve(value: &Value) -> &Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => resolve(spec().pointer(pointer).expect("a $ref that resolves")),
        None => value,
    }
}

/// Every operation: `(operationId, method, path template, operation, its parameters)`.
fn operations() -> Vec<(String, String, String, Value, Vec<Value>)> {
    let mut out = Vec::new();
    for (path, item) in spec()["paths"].as_object().expect("paths") {
        let shared: Vec<Value> = item["parameters"]
            .as_array()
            .map(|a| a.iter().map(|p| resolve(p).clone()).collect())
            .unwrap_or_default();
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let mut params: Vec<Value> = op["parameters"]
                .as_array()
                .map(|a| a.iter().map(|p| resolve(p).clone()).collect())
                .unwrap_or_default();
            params.extend(shared.iter().cloned());
            let id = op["operationId"].as_str().expect("operationId").to_string();
            out.push((id, method.to_uppercase(), path.clone(), op.clone(), params));
        }
    }
    out
}

fn operation(id: &str) -> (String, String, String, Value, Vec<Value>) {
    operations()
        .into_iter()
        .find(|o| o.0 == id)
        .unwrap_or_else(|| panic!("{id} is not in the spec"))
}

/// A value of `schema`: its example or first enum value, else one of its type, objects
/// with their required properties only.
fn sample(schema: &Value, name: &str) -> Value {
    let schema = resolve(schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|v| v.first()) {
            return sample(first, name);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(o) = sample(part, name) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    match schema["type"].as_str() {
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([sample(&schema["items"], name)]),
        Some("object") | None if schema.get("properties").is_some() => {
            let mut out = Map::new();
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().expect("a property name");
                out.insert(key.into(), sample(&schema["properties"][key], key));
            }
            Value::Object(out)
        }
        Some("object") => json!({}),
        _ => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-02T03:04:05Z"),
            Some("date") => json!("2026-01-02"),
            Some("uuid") => json!("6f1f5a8e-2b1c-4d7e-9a3b-0c4d5e6f7a8b"),
            Some("email") => json!("ada@example.com"),
            Some("uri" | "url") => json!("https://example.com/x"),
            _ => json!(format!("sample-{name}")),
        },
    }
}

fn param_schema<'a>(params: &'a [Value], name: &str) -> &'a Value {
    &params
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))["schema"]
}

/// The sample value of `operation`'s parameter `name`, as the type its setter takes.
pub fn sample_param<T: DeserializeOwned>(operation_id: &str, name: &str) -> T {
    let (_, _, _, _, params) = self::operation(operation_id);
    let value = sample(param_schema(&params, name), name);
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{operation_id}.{name}: {value} does not decode: {e}"))
}

fn body_schema(op: &Value) -> Option<&Value> {
    let content = op["requestBody"]["content"].as_object()?;
    content
        .iter()
        .find(|(k, _)| k.starts_with("application/json"))
        .map(|(_, v)| &v["schema"])
}

/// The sample body of `operation`, as the generated body type.
pub fn sample_body<T: DeserializeOwned>(operation_id: &str) -> T {
    let (_, _, _, op, _) = self::operation(operation_id);
    let value = sample(body_schema(&op).expect("a JSON body"), "body");
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{operation_id}: body {value} does not decode: {e}"))
}

/// The operations written by hand, called the same way.
fn handwritten() -> Vec<(&'static str, Call)> {
    fn logo() -> Logo {
        Logo::new(vec![0x89, b'P', b'N', b'G'], "logo.png", "image/png")
    }
    vec![
        ("AddLogo", |c| {
            Box::pin(async move {
                let _ = c.add_logo(LogoType::Dark, &logo()).await;
            })
        }),
        ("AddOrganizationLogo", |c| {
            Box::pin(async move {
                let org = sample_param::<String>("AddOrganizationLogo", "org_code");
                let _ = c.add_organization_logo(&org, LogoType::Dark, &logo()).await;
            })
        }),
        ("searchUsers", |c| {
            Box::pin(async move {
                let _ = c
                    .search_users()
                    .property("plan", ["pro", "team"])
                    .send()
                    .await;
            })
        }),
    ]
}

#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// A server that records every request and answers `{}`.
async fn recorder() -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(Recorded {
                    method,
                    uri,
                    headers,
                    body,
                });
                ([("content-type", "application/json")], "{}")
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What is wrong with `request` as a call of `id`, if anything.
fn check(id: &str, request: &Recorded) -> Vec<String> {
    let (_, method, template, op, params) = operation(id);
    let mut problems = Vec::new();
    if request.method.as_str() != method {
        problems.push(format!("method {} (the spec: {method})", request.method));
    }
    let mut path = template.clone();
    for p in params.iter().filter(|p| p["in"] == "path") {
        let name = p["name"].as_str().unwrap();
        let value = as_text(&sample(&p["schema"], name));
        path = path.replace(&format!("{{{name}}}"), &encode(&value));
    }
    if request.uri.path() != path {
        problems.push(format!("path {} (the spec: {path})", request.uri.path()));
    }
    let query: Vec<(String, String)> = request
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let declared: BTreeSet<String> = params
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    for p in params
        .iter()
        .filter(|p| p["in"] == "query" && p["required"] == true)
    {
        let name = p["name"].as_str().unwrap();
        if !query.iter().any(|(k, _)| k == name) {
            problems.push(format!("required query parameter {name} missing"));
        }
    }
    for (k, _) in &query {
        // deepObject parameters are sent as `name[key]`.
        let base = k.split('[').next().unwrap_or(k);
        if !declared.contains(base) {
            problems.push(format!("query parameter {k} is not in the spec"));
        }
    }
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !auth.starts_with("Bearer ey") {
        problems.push("no bearer token".into());
    }
    let content = op["requestBody"]["content"].as_object();
    match (content, body_schema(&op)) {
        (_, Some(schema)) => {
            let schema = resolve(schema);
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(Value::Object(body)) => {
                    for required in schema["required"].as_array().into_iter().flatten() {
                        let key = required.as_str().unwrap();
                        if !body.contains_key(key) {
                            problems.push(format!("body without required {key}"));
                        }
                    }
                    if let Some(props) = schema["properties"].as_object() {
                        for key in body.keys() {
                            if !props.contains_key(key) {
                                problems.push(format!("body field {key} is not in the spec"));
                            }
                        }
                    }
                }
                Ok(other) => problems.push(format!("body is not an object: {other}")),
                Err(_) => problems.push("body is not JSON".into()),
            }
        }
        (Some(content), None) if content.contains_key("multipart/form-data") => {
            let kind = request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let body = String::from_utf8_lossy(&request.body);
            if !kind.starts_with("multipart/form-data") || !body.contains("name=\"logo\"") {
                problems.push("not a multipart body with a `logo` part".into());
            }
        }
        (None, None) => {
            if !request.body.is_empty() {
                problems.push("a body the spec does not declare".into());
            }
        }
        (Some(other), None) => problems.push(format!("unexpected content {other:?}")),
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_pinned_spec_sends_what_the_spec_defines() {
    let tk = TestKinde::start();
    let kinde = Kinde::new(tk.config_builder().build().unwrap()).unwrap();
    let (base, seen) = recorder().await;
    let client = Client::builder(&kinde)
        .base_url(&base)
        .audience(format!("{}/api", tk.issuer()))
        .build()
        .unwrap();

    let mut table = calls::generated();
    table.extend(handwritten());
    let spec_ops = operations();
    let mut failures = Vec::new();
    let mut passed = 0;
    for (id, ..) in &spec_ops {
        let Some((_, call)) = table.iter().find(|(t, _)| t == id) else {
            failures.push(format!("{id}: the client has no method"));
            continue;
        };
        seen.lock().unwrap().clear();
        call(&client).await;
        let recorded = seen.lock().unwrap().clone();
        match recorded.as_slice() {
            [request] => {
                let problems = check(id, request);
                if problems.is_empty() {
                    passed += 1;
                } else {
                    failures.push(format!("{id}: {}", problems.join("; ")));
                }
            }
            other => failures.push(format!("{id}: {} requests sent, not 1", other.len())),
        }
    }
    println!("{passed}/{} operations", spec_ops.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, 183, "the pinned spec has 183 operations");
    assert_eq!(table.len(), spec_ops.len(), "one call per operation");
}
