//! The OpenAPI document and the server agree: schemathesis, given the
//! document a running `patchart serve` publishes, generates requests from
//! it (its coverage, fuzzing and stateful phases, every built-in check)
//! and finds nothing the server answers differently from what the
//! document says.
//!
//! The server is seeded first through the API: a dataset, a job that
//! succeeded, one cancelled (its charts retryable) and a description, so
//! requests reach real resources. Their ids go into dictionaries of a
//! copy of `schemathesis.toml`, which the fuzzer draws path ids, the
//! `dataset_id` of a job and the `image_task_id` of a description from
//! half of the time; the stateful phase follows the document's links from
//! there. The run is bounded by `--max-time` (`PATCHART_FUZZ_SECONDS`,
//! default 110). The seed is schemathesis' own at each run (so each run
//! explores anew) and printed; `PATCHART_FUZZ_SEED` repeats one.
//!
//! Needs the `schemathesis` CLI (`pip install -r
//! .ci/requirements-contract.txt`); without it the test prints
//! `skipping: …`, which `PATCHART_TEST_STRICT=1` turns into a failure.

use std::process::{Command, Stdio};
use std::time::Duration;

use patchart_suite::workbook::full_export;
use serde_json::{Value, json};

const CHARTS: [&str; 4] = [
    "top_patent_countries",
    "cpc_treemap",
    "patent_forecast",
    "top_patent_applicants",
];

/// What the fuzzer may name: ids of resources that exist.
struct Seeds {
    jobs: Vec<String>,
    datasets: Vec<String>,
    image_tasks: Vec<String>,
    descriptions: Vec<String>,
}

struct Api<'a> {
    http: reqwest::Client,
    base: &'a str,
    token: &'a str,
}

impl Api<'_> {
    async fn send(&self, r: reqwest::RequestBuilder, what: &str) -> (u16, Value) {
        let r = r.bearer_auth(self.token).send().await.expect(what);
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .send(self.http.get(format!("{}{path}", self.base)), path)
            .await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(
            self.http.post(format!("{}{path}", self.base)).json(body),
            path,
        )
        .await
    }

    async fn ended(&self, job_id: &str) -> Value {
        for _ in 0..600 {
            let job = self.get(&format!("/api/jobs/{job_id}/")).await;
            if !matches!(job["status"].as_str(), Some("PENDING" | "RUNNING")) {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {job_id} did not end within 60 s");
    }
}

fn task_ids(job: &Value) -> impl Iterator<Item = String> + '_ {
    job["image_tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_str().map(str::to_string))
}

async fn seed(api: &Api<'_>) -> Seeds {
    let form = reqwest::multipart::Form::new().part(
        "source_data",
        reqwest::multipart::Part::bytes(full_export()).file_name("Filters.xlsx"),
    );
    let (status, dataset) = api
        .send(
            api.http
                .post(format!("{}/api/datasets/", api.base))
                .multipart(form),
            "upload",
        )
        .await;
    assert_eq!(status, 201, "{dataset}");
    let dataset_id = dataset["id"].as_str().expect("dataset id").to_string();
    let images: Vec<Value> = CHARTS.iter().map(|k| json!({"algorithm_key": k})).collect();
    let (status, done) = api
        .post_json(
            "/api/jobs/",
            &json!({"dataset_id": dataset_id, "images": images}),
        )
        .await;
    assert_eq!(status, 201, "{done}");
    // Twelve charts cancelled at once: most never start, and a cancelled
    // chart is one that can be retried.
    let images: Vec<Value> = CHARTS
        .iter()
        .cycle()
        .take(12)
        .map(|k| json!({"algorithm_key": k, "output_format": "png"}))
        .collect();
    let (status, cancelled) = api
        .post_json(
            "/api/jobs/",
            &json!({"dataset_id": dataset_id, "images": images, "visualization_config": {"width": 1111}}),
        )
        .await;
    assert_eq!(status, 201, "{cancelled}");
    let cancelled_id = cancelled["job_id"].as_str().expect("job id").to_string();
    let (status, body) = api
        .post_json(&format!("/api/jobs/{cancelled_id}/cancel/"), &json!({}))
        .await;
    assert!(matches!(status, 200 | 409), "{status} {body}");
    let done_id = done["job_id"].as_str().expect("job id").to_string();
    let done = api.ended(&done_id).await;
    assert_eq!(done["status"], "SUCCESS", "{done}");
    let cancelled = api.ended(&cancelled_id).await;
    let first_task = done["image_tasks"][0]["id"].as_str().expect("task");
    let (status, described) = api
        .post_json("/api/ai/describe/", &json!({"image_task_id": first_task}))
        .await;
    assert_eq!(status, 202, "{described}");
    Seeds {
        jobs: vec![done_id, cancelled_id],
        datasets: vec![dataset_id],
        image_tasks: task_ids(&done).chain(task_ids(&cancelled)).collect(),
        descriptions: vec![
            described["description_task_id"]
                .as_str()
                .expect("description id")
                .to_string(),
        ],
    }
}

/// The repository's `schemathesis.toml` with the seeded ids as
/// dictionaries, bound to the parameters that name such resources.
fn config(seeds: &Seeds) -> String {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemathesis.toml");
    let mut text = std::fs::read_to_string(&repo).expect("schemathesis.toml");
    let list = |ids: &[String]| Value::from(ids.to_vec()).to_string();
    for (name, ids) in [
        ("jobs", &seeds.jobs),
        ("datasets", &seeds.datasets),
        ("image_tasks", &seeds.image_tasks),
        ("descriptions", &seeds.descriptions),
    ] {
        text.push_str(&format!(
            "\n[dictionaries.{name}]\nvalues = {}\n",
            list(ids)
        ));
    }
    // Deletions are left to the links: a seed deleted early would starve
    // everything after it.
    let bindings: [(&[&str], &str, &str); 6] = [
        (
            &[
                "get_job",
                "cancel_job",
                "list_job_events",
                "download_job",
                "download_zip",
            ],
            "path.id",
            "jobs",
        ),
        (&["get_dataset"], "path.id", "datasets"),
        (
            &[
                "get_image_task",
                "image_task_png",
                "image_task_svg",
                "cancel_image_task",
                "retry_image_task",
            ],
            "path.id",
            "image_tasks",
        ),
        (&["get_description_task"], "path.id", "descriptions"),
        (&["create_job"], "body.dataset_id", "datasets"),
        (&["describe"], "body.image_task_id", "image_tasks"),
    ];
    for (ops, parameter, dictionary) in bindings {
        text.push_str(&format!(
            "\n[[operations]]\ninclude-operation-id = {}\nparameters = {{ \"{parameter}\" = {{ dictionary = \"{dictionary}\", probability = 0.5 }} }}\n",
            Value::from(ops.to_vec())
        ));
    }
    text
}

/// The server, killed however the test ends.
struct Stopped(patchart_suite::process::ServeProcess);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

fn schemathesis_version() -> Option<String> {
    let out = Command::new("schemathesis")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_the_server_answers_unlike_its_document() {
    let Some(version) = schemathesis_version() else {
        patchart_suite::skip(
            "schemathesis is not installed (pip install -r .ci/requirements-contract.txt)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let server = Stopped(patchart_suite::process::serve(&data, &["--workers", "2"]));
    let token = server
        .0
        .token
        .clone()
        .expect("a fresh data dir prints a token");
    let api = Api {
        http: reqwest::Client::new(),
        base: &server.0.base,
        token: &token,
    };
    let seeds = seed(&api).await;
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config(&seeds)).expect("write the config");

    let seconds = std::env::var("PATCHART_FUZZ_SECONDS").unwrap_or_else(|_| "110".to_string());
    let mut cmd = Command::new("schemathesis");
    cmd.arg("--no-color")
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(format!("{}/api/openapi.json", server.0.base))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--max-time", &seconds])
        // Its example database and caches stay out of the checkout.
        .current_dir(dir.path())
        .stdin(Stdio::null());
    if let Ok(seed) = std::env::var("PATCHART_FUZZ_SEED") {
        cmd.args(["--seed", &seed]);
    }
    let run = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the run's thread")
        .expect("schemathesis runs");
    drop(server);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    // The figures of the run, for whoever reads the suite's output.
    for line in report.lines().filter(|l| {
        l.contains("API Links:")
            || l.contains(" generated, ")
            || l.trim_start().starts_with("Seed:")
    }) {
        patchart_suite::note(format_args!("{version}: {}", line.trim()));
    }
    assert!(
        run.status.success(),
        "schemathesis found the server and its document disagreeing ({}):\n{report}",
        run.status
    );
}
