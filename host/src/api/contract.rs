//! What the handlers' annotations leave implicit, made explicit in the
//! OpenAPI document: the answers every operation can give besides its
//! own (401 from the token check, 400 from the extractors, 503 from the
//! database), uuid ids, and links from each created or listed resource to
//! the operations on it, so a stateful client (or fuzzer) can follow the
//! API from a job's creation down to its charts.

use serde_json::{Map, Value, json};

/// `(operation, status, link name, target operation, parameters)`.
type Link = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Where each answer's ids lead.
const LINKS: &[Link] = &[
    (
        "create_job",
        "201",
        "GetJob",
        "get_job",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "create_job",
        "201",
        "CancelJob",
        "cancel_job",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "create_job",
        "201",
        "JobEvents",
        "list_job_events",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "create_job",
        "201",
        "DownloadJob",
        "download_job",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "create_job",
        "201",
        "DownloadZip",
        "download_zip",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "create_job",
        "201",
        "DeleteJob",
        "delete_job",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "create_job",
        "201",
        "DeleteDataset",
        "delete_dataset",
        &[("id", "$response.body#/dataset_id")],
    ),
    (
        "create_job",
        "200",
        "GetJob",
        "get_job",
        &[("id", "$response.body#/job_id")],
    ),
    (
        "list_jobs",
        "200",
        "GetJob",
        "get_job",
        &[("id", "$response.body#/results/0/id")],
    ),
    (
        "get_job",
        "200",
        "GetImageTask",
        "get_image_task",
        &[("id", "$response.body#/image_tasks/0/id")],
    ),
    (
        "get_job",
        "200",
        "ImagePng",
        "image_task_png",
        &[("id", "$response.body#/image_tasks/0/id")],
    ),
    (
        "get_job",
        "200",
        "ImageSvg",
        "image_task_svg",
        &[("id", "$response.body#/image_tasks/0/id")],
    ),
    (
        "get_job",
        "200",
        "CancelImageTask",
        "cancel_image_task",
        &[("id", "$response.body#/image_tasks/0/id")],
    ),
    (
        "get_job",
        "200",
        "RetryImageTask",
        "retry_image_task",
        &[("id", "$response.body#/image_tasks/0/id")],
    ),
    (
        "get_job",
        "200",
        "JobEvents",
        "list_job_events",
        &[("id", "$response.body#/id")],
    ),
    (
        "list_image_tasks",
        "200",
        "GetImageTask",
        "get_image_task",
        &[("id", "$response.body#/results/0/id")],
    ),
    (
        "list_description_tasks",
        "200",
        "GetDescriptionTask",
        "get_description_task",
        &[("id", "$response.body#/results/0/id")],
    ),
    (
        "describe",
        "202",
        "GetDescriptionTask",
        "get_description_task",
        &[("id", "$response.body#/description_task_id")],
    ),
    (
        "upload_plugin",
        "201",
        "GetPlugin",
        "get_plugin",
        &[
            ("key", "$response.body#/plugin/key"),
            ("version", "$response.body#/plugin/version"),
        ],
    ),
    (
        "upload_plugin",
        "201",
        "PatchPlugin",
        "patch_plugin",
        &[
            ("key", "$response.body#/plugin/key"),
            ("version", "$response.body#/plugin/version"),
        ],
    ),
    (
        "upload_plugin",
        "201",
        "RetirePlugin",
        "retire_plugin",
        &[
            ("key", "$response.body#/plugin/key"),
            ("version", "$response.body#/plugin/version"),
        ],
    ),
    (
        "create_token",
        "201",
        "RevokeToken",
        "revoke_token",
        &[("id", "$response.body#/id")],
    ),
];

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// Completes `doc` (the generated document, as JSON) in place.
pub fn complete(doc: &mut Value) {
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
    let ops: Vec<(String, String)> = LINKS
        .iter()
        .map(|(from, status, ..)| (from.to_string(), status.to_string()))
        .collect();
    for (from, status) in ops {
        let links: Map<String, Value> = LINKS
            .iter()
            .filter(|(f, s, ..)| *f == from && *s == status)
            .map(|(_, _, name, to, params)| {
                let parameters: Map<String, Value> = params
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .collect();
                (
                    name.to_string(),
                    json!({"operationId": to, "parameters": parameters}),
                )
            })
            .collect();
        if let Some(response) = find_response(paths, &from, &status) {
            response.insert("links".to_string(), Value::Object(links));
        }
    }
}

fn complete_operation(path: &str, op: &mut Map<String, Value>) {
    let secured = op.contains_key("security");
    let has_input = op.contains_key("requestBody")
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
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    let mut add = |code: &str, description: &str| {
        responses
            .entry(code.to_string())
            .or_insert_with(|| error(description));
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
            "The path, query or body cannot be used (`VALIDATION_ERROR` naming the field)",
        );
    }
    if (path.starts_with("/api/") && path != "/api/openapi.json") || path.starts_with("/ws/") {
        add(
            "503",
            "The database cannot be reached (`DATABASE_UNAVAILABLE`): try again",
        );
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

    #[test]
    fn every_link_leaves_from_and_leads_to_an_operation_of_the_document() {
        let doc = super::super::openapi::document();
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        for (from, status, name, to, _) in LINKS {
            assert!(ids.contains(from), "{from} is not an operation");
            assert!(ids.contains(to), "{to} is not an operation");
            let linked = doc["paths"]
                .as_object()
                .expect("paths")
                .values()
                .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
                .find(|op| op["operationId"] == *from)
                .map(|op| op["responses"][*status]["links"][*name].is_object());
            assert_eq!(linked, Some(true), "{from} {status} links {name}");
        }
    }
}
