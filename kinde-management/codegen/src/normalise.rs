//! The normalisation of the pinned spec before progenitor reads it: each step fixes one
//! thing the generator cannot take as Kinde wrote it, and nothing else. The steps are
//! listed in `kinde-management/spec/README.md`; the operations they take out of the
//! generated set are written by hand in `kinde-management/src/handwritten/`.

use serde_json::{Map, Value, json};

/// Operations the generator cannot express; `kinde-management` writes them by hand.
pub const HANDWRITTEN: &[&str] = &["AddLogo", "AddOrganizationLogo", "searchUsers"];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// Apply every step to `spec` (the YAML read as JSON values).
pub fn normalise(spec: &mut Value) {
    one_json_media_type(spec);
    one_error_type(spec);
    empty_bodies_for_200_and_204(spec);
    drop_handwritten(spec);
    strict_one_of_variants(spec);
    plural_acronyms_in_names(spec);
}

/// Where step 6 keeps an operation's id as the spec gives it.
pub const SPEC_OPERATION_ID: &str = "x-spec-operation-id";

/// Every operation of the spec, as `(method, path, operation)`.
pub fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                let shared = item.get("parameters").and_then(Value::as_array);
                for (method, op) in item {
                    if METHODS.contains(&method.as_str()) {
                        // Parameters declared on the path belong to each of its operations.
                        let mut op = op.clone();
                        if let Some(shared) = shared {
                            let mut params =
                                op["parameters"].as_array().cloned().unwrap_or_default();
                            params.extend(shared.iter().cloned());
                            op["parameters"] = Value::Array(params);
                        }
                        if let Some(params) = op["parameters"].as_array_mut() {
                            for param in params {
                                *param = resolve(spec, param).clone();
                            }
                        }
                        out.push((method.clone(), path.clone(), op));
                    }
                }
            }
        }
    }
    out
}

/// `value`, or what its `$ref` (`#/components/...`) names.
pub fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        Some(pointer) => spec.pointer(&format!("/{pointer}")).unwrap_or(value),
        None => value,
    }
}

fn each_operation(spec: &mut Value, mut f: impl FnMut(&mut Map<String, Value>)) {
    let Some(paths) = spec["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if let (true, Some(op)) = (METHODS.contains(&method.as_str()), op.as_object_mut()) {
                f(op);
            }
        }
    }
}

/// Step 1: most bodies are declared twice, as `application/json` and as
/// `application/json; charset=utf-8`, which progenitor takes as two content types it
/// must choose between. Keep one, `application/json`.
fn one_json_media_type(spec: &mut Value) {
    fn fix(content: &mut Value) {
        let Some(content) = content.as_object_mut() else {
            return;
        };
        let charset = content.remove("application/json; charset=utf-8");
        if let Some(charset) = charset
            && !content.contains_key("application/json")
        {
            content.insert("application/json".into(), charset);
        }
    }
    each_operation(spec, |op| {
        if let Some(body) = op.get_mut("requestBody") {
            fix(&mut body["content"]);
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for response in responses.values_mut() {
                if response.get("content").is_some() {
                    fix(&mut response["content"]);
                }
            }
        }
    });
    if let Some(responses) = spec["components"]["responses"].as_object_mut() {
        for response in responses.values_mut() {
            if response.get("content").is_some() {
                fix(&mut response["content"]);
            }
        }
    }
}

/// Step 2: progenitor takes one error type per operation, while the spec gives 404 a
/// body of its own (`not_found_response`: `errors` is one object) beside 400/403/429's
/// `error_response` (`errors` is a list), and some errors no body at all. Every 4xx and
/// 5xx becomes one response, `error`, whose body is `error_response` with `errors`
/// either a list or one object.
fn one_error_type(spec: &mut Value) {
    spec["components"]["schemas"]["error_response"] = json!({
        "type": "object",
        "description": "The body of an error answer: `errors` is a list, or one object (404s).",
        "properties": {
            "errors": {
                "oneOf": [
                    { "type": "array", "items": { "$ref": "#/components/schemas/error" } },
                    { "$ref": "#/components/schemas/error" }
                ]
            }
        }
    });
    spec["components"]["responses"]["error"] = json!({
        "description": "An error: 400, 401, 403, 404, 405, 409, 429…",
        "content": {
            "application/json": { "schema": { "$ref": "#/components/schemas/error_response" } }
        }
    });
    each_operation(spec, |op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses.retain(|code, _| !(code.starts_with('4') || code.starts_with('5')));
            // Every 4xx, declared or not (a 409 where the spec lists 400/403/429), is
            // Kinde's JSON error body. A 5xx stays undeclared: it may come from a proxy
            // and not be JSON, and its status must survive that.
            responses.insert(
                "4XX".into(),
                json!({ "$ref": "#/components/responses/error" }),
            );
        }
    });
}

/// Step 3: two logo deletes declare both 200 (with a body) and 204 (without), and
/// progenitor needs every success to have the same type. Both are kept, without a body.
fn empty_bodies_for_200_and_204(spec: &mut Value) {
    each_operation(spec, |op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut)
            && responses.contains_key("204")
            && let Some(ok) = responses.get_mut("200").and_then(Value::as_object_mut)
        {
            ok.remove("content");
        }
    });
}

/// Step 4: the two logo uploads are `multipart/form-data`, which progenitor does not
/// generate, and `searchUsers` takes a `deepObject` query parameter, which it refuses.
/// They leave the generated set ([`HANDWRITTEN`]).
fn drop_handwritten(spec: &mut Value) {
    let Some(paths) = spec["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        if let Some(item) = item.as_object_mut() {
            item.retain(|method, op| {
                !METHODS.contains(&method.as_str())
                    || !op["operationId"]
                        .as_str()
                        .is_some_and(|id| HANDWRITTEN.contains(&id))
            });
        }
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|item| item.keys().any(|k| METHODS.contains(&k.as_str())))
    });
}

/// Step 5: the connection `options` are a `oneOf` of objects whose fields are all
/// optional, which becomes an untagged enum whose first variant accepts any JSON object.
/// Each variant is closed (`additionalProperties: false`), so a body decodes as the
/// first variant that has all of its fields.
fn strict_one_of_variants(spec: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(variants)) = map.get_mut("oneOf") {
                    for variant in variants.iter_mut() {
                        if let Some(v) = variant.as_object_mut()
                            && v.get("type").and_then(Value::as_str) == Some("object")
                            && v.contains_key("properties")
                        {
                            v.insert("additionalProperties".into(), Value::Bool(false));
                        }
                    }
                }
                for v in map.values_mut() {
                    walk(v);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(spec);
}

/// Step 6: progenitor snake-cases an id letter by letter, so `getAPIs` would be
/// `get_ap_is` and `getLogoutURLs` `get_logout_ur_ls`. A plural acronym (`APIs`, `URLs`)
/// becomes a word (`Apis`, `Urls`), giving `get_apis` and `get_logout_urls`, the names
/// Kinde's Python SDK uses. The spec's id is kept beside it in [`SPEC_OPERATION_ID`].
fn plural_acronyms_in_names(spec: &mut Value) {
    each_operation(spec, |op| {
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            return;
        };
        let renamed = id.replace("APIs", "Apis").replace("URLs", "Urls");
        if renamed != id {
            let original = Value::String(id.to_string());
            op.insert(SPEC_OPERATION_ID.into(), original);
            op.insert("operationId".into(), Value::String(renamed));
        }
    });
}
