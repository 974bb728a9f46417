//! What the handlers' annotations leave implicit, made explicit in the
//! OpenAPI document: the answers every operation can give besides its
//! own (401 from the token check, 400 from the extractors, 408, 413 and
//! 415 on bodies, 503 from the database), uuid ids, the enums and bounds
//! the Rust types cannot carry, and links from each created or listed
//! resource to the operations on it, so a stateful client (or fuzzer) can
//! follow the API from a dataset down to a job's charts.

use serde_json::{Map, Value, json};

mod links;

use links::LINKS;

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// Completes `doc` (the generated document, as JSON) in place.
pub fn complete(doc: &mut Value) {
    refine_schemas(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            complete_operation(path, op);
        }
    }
    for link in LINKS {
        let mut definition = json!({
            "operationId": link.to,
            "parameters": link
                .parameters
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect::<Map<String, Value>>(),
        });
        if let Some(body) = link.body {
            definition["requestBody"] = serde_json::from_str(body).unwrap_or(Value::Null);
        }
        if let Some(response) = find_response(paths, link.from, link.status) {
            let links = response
                .entry("links")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            if let Some(links) = links {
                links.insert(link.name.to_string(), definition);
            }
        }
    }
}

/// What the Rust types cannot say of themselves: strings drawn from a
/// fixed set, and bounds the catalog enforces.
fn refine_schemas(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    // "" is the default, as a form sends a field left blank.
    schemas["DescribeRequest"]["properties"]["locale"]["enum"] = json!(["", "en", "es", null]);
    schemas["DescribeForm"]["properties"]["locale"]["enum"] = json!(["", "en", "es"]);
    schemas["EventRow"]["properties"]["level"]["enum"] = json!(["INFO", "WARNING", "ERROR"]);
    // Bodies described for the document only: their handlers refuse
    // fields they do not name, as the deserialized ones do.
    for name in ["DescribeForm", "JobUpload", "DatasetUpload", "PluginUpload"] {
        schemas[name]["additionalProperties"] = json!(false);
    }
    // The bounds `plugins::patch_plugin` checks; the memory ceiling is
    // each server's own (422 above it).
    use super::plugins::{MIN_MEMORY_BYTES, OUTPUT_BYTES, TIMEOUT_MS};
    let limits = &mut schemas["LimitsPatch"]["properties"];
    limits["memory_bytes"]["minimum"] = json!(MIN_MEMORY_BYTES);
    limits["timeout_ms"]["minimum"] = json!(TIMEOUT_MS.start());
    limits["timeout_ms"]["maximum"] = json!(TIMEOUT_MS.end());
    for name in ["max_svg_bytes", "max_chart_data_bytes", "max_log_bytes"] {
        limits[name]["minimum"] = json!(OUTPUT_BYTES.start());
        limits[name]["maximum"] = json!(OUTPUT_BYTES.end());
    }
}

fn complete_operation(path: &str, op: &mut Map<String, Value>) {
    let secured = op.contains_key("security");
    let has_body = op.contains_key("requestBody");
    let has_input = has_body
        || op
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty());
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            // Every resource id is a uuid; anything else names nothing
            // (404), whichever endpoint it is sent to.
            if p["in"] == "path" && p["name"] == "id" {
                p["schema"] = json!({"type": "string", "format": "uuid"});
            }
        }
    }
    // Signing out needs no session: without one there is nothing to end.
    if op.get("operationId").and_then(Value::as_str) == Some("end_session") {
        op.insert("security".into(), json!([{}, {"session": []}]));
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    let mut add = |code: &str, description: &str| {
        let r = responses
            .entry(code.to_string())
            .or_insert_with(|| error(description));
        // The handlers' annotations name the body; the meaning is shared.
        if let Some(r) = r.as_object_mut() {
            r.entry("description")
                .or_insert_with(|| Value::String(description.to_string()));
        }
    };
    if secured {
        add(
            "401",
            "No valid token (`UNAUTHENTICATED`): none sent, unknown, revoked or expired",
        );
    }
    if has_input {
        add(
            "400",
            "The path, query or body does not match this document (`VALIDATION_ERROR` naming the field)",
        );
    }
    if has_body {
        add(
            "408",
            "The body stopped arriving for longer than the server waits (`BODY_READ_TIMEOUT`)",
        );
        add("413", "The body is over this endpoint's limit");
        add(
            "415",
            "The body is not of a media type this operation takes (`UNSUPPORTED_MEDIA_TYPE`)",
        );
    }
    if (path.starts_with("/api/") && path != "/api/openapi.json") || path.starts_with("/ws/") {
        add(
            "503",
            "The database cannot be reached (`DATABASE_UNAVAILABLE`): try again",
        );
    }
    for (code, r) in responses.iter_mut() {
        if let Some(r) = r.as_object_mut() {
            r.entry("description")
                .or_insert_with(|| Value::String(format!("HTTP {code}")));
        }
    }
}

fn find_response<'a>(
    paths: &'a mut Map<String, Value>,
    operation_id: &str,
    status: &str,
) -> Option<&'a mut Map<String, Value>> {
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            if op["operationId"] == operation_id {
                return op.get_mut("responses")?.get_mut(status)?.as_object_mut();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(doc: &Value) -> Vec<&Value> {
        doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
            .collect()
    }

    #[test]
    fn every_link_leaves_from_and_leads_to_an_operation_of_the_document() {
        let doc = super::super::openapi::document();
        let ops = operations(doc);
        let ids: Vec<&str> = ops
            .iter()
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        for link in LINKS {
            assert!(
                ids.contains(&link.from),
                "{} is not an operation",
                link.from
            );
            assert!(ids.contains(&link.to), "{} is not an operation", link.to);
            let linked = ops
                .iter()
                .find(|op| op["operationId"] == link.from)
                .map(|op| &op["responses"][link.status]["links"][link.name]);
            assert!(
                linked.is_some_and(Value::is_object),
                "{} {} links {}",
                link.from,
                link.status,
                link.name
            );
            if let Some(body) = link.body {
                let body: Value = serde_json::from_str(body).expect("a link body is JSON");
                assert!(body.is_object(), "{}", link.name);
            }
        }
    }

    #[test]
    fn every_reference_resolves_and_every_page_ends_where_the_server_stops() {
        let doc = super::super::openapi::document();
        let text = doc.to_string();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().expect("a name");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "#/components/schemas/{name} is referenced but not defined"
            );
        }
        let mut pages = 0;
        for op in operations(doc) {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "page" {
                    pages += 1;
                    assert_eq!(p["schema"]["maximum"], super::super::jobs::MAX_PAGE, "{p}");
                }
            }
        }
        assert_eq!(pages, 4, "the paged lists");
    }

    #[test]
    fn every_answer_says_what_it_means() {
        let doc = super::super::openapi::document();
        for op in operations(doc) {
            for (code, r) in op["responses"].as_object().expect("responses") {
                assert!(r["description"].is_string(), "{} {code}", op["operationId"]);
            }
        }
    }
}
