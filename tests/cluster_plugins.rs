//! Plugins across nodes sharing one PostgreSQL database: what an operator
//! does on one node (upload, disable, limits, retire) holds on every node
//! within a second, and a new version uploaded while another node runs
//! jobs takes over for new jobs only.
//!
//! Needs `PATCHART_TEST_DATABASE_URL`; skips with a message without it.

use std::time::Duration;

use patchart_suite::cluster::{Node, cluster_database, wait_for};
use patchart_suite::integrity::Expect;
use patchart_suite::variant;
use serde_json::{Value, json};

const PATH: &str = "/api/plugins/variant_probe/1.0.0/";

/// The build at [`PATH`] as `node` has it loaded (`None`: unknown there).
async fn build_on(http: &reqwest::Client, node: &Node, token: &str) -> Option<Value> {
    let (status, body) = node.get(http, token, PATH).await;
    (status == 200).then_some(body)
}

/// Waits until every node in `nodes` shows the build satisfying `holds`;
/// returns the slowest node's delay, asserted under a second.
async fn everywhere(
    http: &reqwest::Client,
    nodes: &[&Node],
    token: &str,
    what: &str,
    holds: impl Fn(Option<&Value>) -> bool,
) -> Duration {
    let mut slowest = Duration::ZERO;
    let started = std::time::Instant::now();
    for node in nodes {
        wait_for(Duration::from_secs(5), what, async || {
            holds(build_on(http, node, token).await.as_ref()).then_some(())
        })
        .await;
        slowest = slowest.max(started.elapsed());
    }
    patchart_suite::note(format!("{what}: on every node after {slowest:?}"));
    assert!(
        slowest < Duration::from_secs(1),
        "{what}: took {slowest:?} to reach every node"
    );
    slowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_operators_plugin_change_on_one_node_holds_on_every_node_within_a_second() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let nodes = [
        Node::start(&scratch.url, 0, &[]),
        Node::start(&scratch.url, 0, &[]),
        Node::start(&scratch.url, 1, &[]),
    ];
    let [a, b, c] = &nodes;
    let http = reqwest::Client::new();

    a.upload_plugin(&token, variant("ok", "1.0.0", 4)).await;
    everywhere(&http, &[b, c], &token, "an upload", |p| {
        p.is_some_and(|p| p["status"] == "enabled")
    })
    .await;

    let (status, body) = b
        .send(
            &http,
            reqwest::Method::PATCH,
            &token,
            PATH,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    everywhere(&http, &[a, c], &token, "a disable", |p| {
        p.is_some_and(|p| p["status"] == "disabled")
    })
    .await;
    // Disabled means refused for new jobs on the other nodes too.
    let dataset = c.dataset(&http, &token).await;
    let (status, body) = c
        .send(
            &http,
            reqwest::Method::POST,
            &token,
            "/api/jobs/",
            Some(json!({"dataset_id": dataset, "images": [{"algorithm_key": "variant_probe"}]})),
        )
        .await;
    assert_eq!(
        status, 422,
        "a disabled plugin is refused on node c: {body}"
    );

    let (status, body) = c
        .send(
            &http,
            reqwest::Method::PATCH,
            &token,
            PATH,
            Some(json!({"enabled": true, "limits": {"timeout_ms": 1234}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    everywhere(&http, &[a, b], &token, "a limits change", |p| {
        p.is_some_and(|p| p["status"] == "enabled" && p["limits"]["timeout_ms"] == 1234)
    })
    .await;

    let (status, body) = a
        .send(&http, reqwest::Method::DELETE, &token, PATH, None)
        .await;
    assert!(matches!(status, 200 | 204), "{status}: {body}");
    everywhere(&http, &[b, c], &token, "a retire", |p| {
        p.is_none_or(|p| p["status"] == "retired")
    })
    .await;
}

fn tasks(job: &Value) -> &Vec<Value> {
    job["image_tasks"].as_array().expect("tasks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_version_uploaded_on_one_node_while_another_runs_jobs_takes_over_new_jobs_only() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let api = Node::start(&scratch.url, 0, &[]);
    let worker = Node::start(&scratch.url, 2, &[]);
    let http = reqwest::Client::new();
    let v1 = api.upload_plugin(&token, variant("ok", "1.0.0", 5)).await;
    let v1_sha = v1["plugin"]["sha256"].as_str().expect("sha").to_string();
    let dataset = api.dataset(&http, &token).await;
    let images = |n: usize, work: u64| {
        Value::Array(
            (0..n)
                .map(|i| json!({"algorithm_key": "variant_probe", "params": {"work": work, "n": i}, "output_format": "svg"}))
                .collect(),
        )
    };
    let old = api
        .post_images(&http, &token, &dataset, images(12, 150))
        .await;
    let old_probe = worker.probe(&http, &token, &old);
    old_probe.wait_partly_done().await;

    let v2 = api.upload_plugin(&token, variant("ok", "2.0.0", 5)).await;
    let v2_sha = v2["plugin"]["sha256"].as_str().expect("sha").to_string();
    assert_ne!(v1_sha, v2_sha);
    let new = api.post_images(&http, &token, &dataset, images(4, 0)).await;

    let old_done = old_probe.assert_intact(None, Expect::ALL_SUCCEEDED).await;
    let new_done = worker
        .probe(&http, &token, &new)
        .assert_intact(None, Expect::ALL_SUCCEEDED)
        .await;
    for t in tasks(&old_done) {
        assert_eq!(t["plugin_sha256"], v1_sha.as_str(), "accepted on v1: {t}");
        assert_eq!(t["algorithm_version"], "1.0.0", "{t}");
    }
    for t in tasks(&new_done) {
        assert_eq!(t["plugin_sha256"], v2_sha.as_str(), "new jobs on v2: {t}");
        assert_eq!(t["algorithm_version"], "2.0.0", "{t}");
        assert_eq!(t["attempts"], 1, "{t}");
    }
}
