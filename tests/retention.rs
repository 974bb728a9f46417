//! Deleting jobs and datasets, collecting the files nothing refers to,
//! the retention sweep, and a disk that fills while charts are written.
//! Each runs on SQLite and, with `PATCHART_TEST_DATABASE_URL`, on
//! PostgreSQL (whose blobs live in the database).

use std::time::Duration;

use patchart_suite::server::TestServer;
use patchart_suite::workbook::standard_export;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn delete(s: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let r = s
        .http
        .delete(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("DELETE");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn charts() -> Value {
    json!([
        {"algorithm_key": "top_patent_countries", "output_format": "both"},
        {"algorithm_key": "patent_evolution", "output_format": "png"},
    ])
}

/// Posts [`charts`] on the standard export and waits for the job.
async fn finished_job(s: &TestServer, token: &str) -> Value {
    finished_job_on(s, token, standard_export()).await
}

/// [`finished_job`] on the workbook `file`.
async fn finished_job_on(s: &TestServer, token: &str, file: Vec<u8>) -> Value {
    let (status, created) = s.post_job(token, file, &charts(), None, None).await;
    assert_eq!(status, 201, "{created}");
    let job = s
        .wait_job(token, created["job_id"].as_str().expect("id"))
        .await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    job
}

/// Every (sha256, ext) a finished job's charts are stored as.
fn artifacts(job: &Value) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for t in job["image_tasks"].as_array().expect("tasks") {
        for (field, ext) in [("png_sha256", "png"), ("svg_sha256", "svg")] {
            if let Some(sha) = t[field].as_str() {
                out.push((sha.to_string(), ext));
            }
        }
    }
    assert!(!out.is_empty(), "{job}");
    out
}

async fn stored(s: &TestServer, sha: &str, ext: &str) -> bool {
    s.running()
        .store()
        .blobs()
        .get(sha, ext)
        .await
        .expect("blob read")
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_job_takes_its_charts_along_and_files_go_once_nothing_refers_to_them() {
    for s in TestServer::on_each_backend(|_| {}).await {
        let admin = s.admin_token.clone();
        let file = standard_export();
        let first = finished_job_on(&s, &admin, file.clone()).await;
        // The same charts again: served from the result cache, the same
        // files.
        let second = finished_job_on(&s, &admin, file).await;
        let files = artifacts(&first);
        assert_eq!(files, artifacts(&second));
        let (first_id, second_id) = (
            first["job_id"].as_str().expect("id").to_string(),
            second["job_id"].as_str().expect("id").to_string(),
        );
        let dataset = first["dataset_id"].as_str().expect("dataset").to_string();

        // Someone else's job is not theirs to delete (nor to see).
        let other = s.user_token("eve").await;
        assert_eq!(
            delete(&s, &other, &format!("/api/jobs/{first_id}/"))
                .await
                .0,
            404
        );
        // A dataset jobs still use cannot go.
        let (status, body) = delete(&s, &admin, &format!("/api/datasets/{dataset}/")).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "DATASET_IN_USE", "{body}");

        let (status, body) = delete(&s, &admin, &format!("/api/jobs/{first_id}/")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["cancelled"], false);
        assert_eq!(
            s.get_json(&admin, &format!("/api/jobs/{first_id}/"))
                .await
                .0,
            404
        );
        let task = first["image_tasks"][0]["id"].as_str().expect("task");
        assert_eq!(
            s.get_json(&admin, &format!("/api/image-tasks/{task}/"))
                .await
                .0,
            404
        );
        assert_eq!(
            delete(&s, &admin, &format!("/api/jobs/{first_id}/"))
                .await
                .0,
            404
        );

        // The second job still shows the same files: none is collected.
        let store = s.running().store();
        store.collect_garbage(Duration::ZERO).await.expect("sweep");
        for (sha, ext) in &files {
            assert!(stored(&s, sha, ext).await, "{sha}.{ext} is still used");
        }
        let png = second["image_tasks"][0]["png_url"]
            .as_str()
            .expect("png url");
        assert_eq!(s.get(&admin, png).await.status(), 200);

        // Within the grace period nothing goes, referenced or not.
        assert_eq!(
            delete(&s, &admin, &format!("/api/jobs/{second_id}/"))
                .await
                .0,
            200
        );
        let (status, body) = delete(&s, &admin, &format!("/api/datasets/{dataset}/")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["dataset_removed"], true, "{body}");
        assert_eq!(
            store
                .collect_garbage(Duration::from_secs(3600))
                .await
                .expect("sweep"),
            0
        );
        // Past it, every file of the jobs and the upload itself go.
        let removed = store.collect_garbage(Duration::ZERO).await.expect("sweep");
        assert!(removed as usize > files.len(), "removed {removed}");
        for (sha, ext) in &files {
            assert!(!stored(&s, sha, ext).await, "{sha}.{ext} collected");
        }
        assert_eq!(s.get(&admin, png).await.status(), 404);
        // The server runs on: the same export and charts work again.
        finished_job(&s, &admin).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_is_removed_only_when_no_user_has_it_and_a_running_job_is_cancelled_before_deletion()
 {
    let s = TestServer::start().await;
    let (ana, bob) = (s.user_token("ana").await, s.user_token("bob").await);
    // The same bytes (a workbook written twice carries two creation times).
    let file = standard_export();
    let ana_job = finished_job_on(&s, &ana, file.clone()).await;
    let bob_job = finished_job_on(&s, &bob, file).await;
    let dataset = ana_job["dataset_id"].as_str().expect("dataset").to_string();
    assert_eq!(
        bob_job["dataset_id"],
        dataset.as_str(),
        "one dataset per content"
    );
    for job in [&ana_job, &bob_job] {
        let id = job["job_id"].as_str().expect("id");
        let token = if job == &ana_job { &ana } else { &bob };
        assert_eq!(delete(&s, token, &format!("/api/jobs/{id}/")).await.0, 200);
    }
    let (status, body) = delete(&s, &ana, &format!("/api/datasets/{dataset}/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_removed"], true);
    assert_eq!(body["dataset_removed"], false, "bob still has it: {body}");
    assert_eq!(
        delete(&s, &ana, &format!("/api/datasets/{dataset}/"))
            .await
            .0,
        404
    );
    let (status, body) = delete(&s, &bob, &format!("/api/datasets/{dataset}/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dataset_removed"], true, "{body}");

    // A job still running is cancelled (its plugin stopped) first.
    let key = s.load_spin_probe(120_000).await;
    let (status, created) = s
        .post_job(
            &s.admin_token,
            standard_export(),
            &json!([{"algorithm_key": key, "params": {"work": 1_000_000_000_000u64}}]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job_id"].as_str().expect("id").to_string();
    for _ in 0..300 {
        let (_, job) = s
            .get_json(&s.admin_token, &format!("/api/jobs/{id}/"))
            .await;
        if job["image_tasks"][0]["status"] == "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = delete(&s, &s.admin_token, &format!("/api/jobs/{id}/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cancelled"], true, "{body}");
    for _ in 0..100 {
        let metrics = s
            .get(&s.admin_token, "/metrics")
            .await
            .text()
            .await
            .expect("metrics");
        if metrics.contains("patchart_node_running_tasks 0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deleted job's plugin kept running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_sweep_deletes_jobs_that_ended_long_enough_ago() {
    let s = TestServer::start_with(|c| {
        c.retain = Some(Duration::from_secs(2));
        c.sweep_every = Duration::from_millis(200);
    })
    .await;
    let job = finished_job(&s, &s.admin_token).await;
    let path = format!("/api/jobs/{}/", job["job_id"].as_str().expect("id"));
    // Kept while younger than the retention...
    assert_eq!(s.get_json(&s.admin_token, &path).await.0, 200);
    for _ in 0..100 {
        if s.get_json(&s.admin_token, &path).await.0 == 404 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a job ended over 2 s ago was kept past 10 s");
}

/// A tmpfs of `size` mounted on `dir`, unmounted when dropped; `None`
/// when this process may not mount (not root).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).expect("mount point");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for fan in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(fan.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.contains(".tmp") {
                out.push(name);
            }
        }
    }
    out
}

/// A server whose files are on a 4 MB tmpfs: `None` when this process
/// may not mount one. Dropped in field order: the server, then the disk.
struct OnSmallDisk {
    s: TestServer,
    files: std::path::PathBuf,
    _disk: SmallDisk,
    _dir: tempfile::TempDir,
}

impl OnSmallDisk {
    async fn start() -> Option<OnSmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = dir.path().join("files");
        let Some(disk) = SmallDisk::mount(&files, "4m") else {
            patchart_suite::skip("cannot mount a small tmpfs (needs root)");
            return None;
        };
        let data_dir = dir.path().to_path_buf();
        let s = TestServer::start_with(move |c| {
            c.data_dir = data_dir.clone();
            c.plugins_dir = data_dir.join("plugins");
        })
        .await;
        Some(OnSmallDisk {
            s,
            files,
            _disk: disk,
            _dir: dir,
        })
    }

    /// Fills the disk to its last few bytes; returns the filler, whose
    /// removal frees it.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.files.join("filler");
        let mut f = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 << 10];
        while f.write_all(&block).is_ok() {}
        let small = vec![0u8; 256];
        while f.write_all(&small).is_ok() {}
        let _ = f.flush();
        filler
    }

    /// Posts `images` on `dataset` at `width` (a width of its own: nothing
    /// from the cache) and waits for the job.
    async fn run(&self, dataset: &str, images: &Value, width: u64) -> Value {
        let s = &self.s;
        let r = s
            .http
            .post(s.url("/api/jobs/"))
            .bearer_auth(&s.admin_token)
            .json(&json!({"dataset_id": dataset, "images": images, "visualization_config": {"width": width}}))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.expect("JSON");
        s.wait_job(&s.admin_token, created["job_id"].as_str().expect("id"))
            .await
    }

    /// Every chart of `job` failed STORAGE_FULL, nothing half-written is
    /// served or left behind, and the server is healthy.
    async fn assert_failed_full(&self, job: &Value) {
        assert_eq!(job["status"], "FAILED", "{}", job["image_tasks"][0]);
        for t in job["image_tasks"].as_array().expect("tasks") {
            assert_eq!(t["error_code"], "STORAGE_FULL", "{t}");
            assert!(
                t["error_message"].as_str().unwrap_or("").contains("full"),
                "{t}"
            );
            assert!(
                t["png_url"].is_null() && t["svg_url"].is_null(),
                "nothing half-written is served: {t}"
            );
        }
        assert!(
            leftovers(&self.files).is_empty(),
            "{:?}",
            leftovers(&self.files)
        );
        assert_eq!(
            self.s.get(&self.s.admin_token, "/healthz").await.status(),
            200
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_while_charts_are_written_fails_them_with_storage_full_and_the_server_goes_on()
 {
    let Some(d) = OnSmallDisk::start().await else {
        return;
    };
    // The upload fits; then the disk is filled to the last few bytes.
    let first = finished_job(&d.s, &d.s.admin_token).await;
    let dataset = first["dataset_id"].as_str().expect("dataset").to_string();
    let filler = d.fill();
    d.assert_failed_full(&d.run(&dataset, &charts(), 1001).await)
        .await;
    std::fs::remove_file(&filler).expect("free the disk");
    let again = d.run(&dataset, &charts(), 1002).await;
    assert_eq!(again["status"], "SUCCESS", "the server goes on: {again}");
}

/// Fast charts are run in batches, and a batch's files are written
/// together once its charts are drawn: a disk that fills then fails the
/// batch's charts (after their retries) as one chart would fail, and
/// keeps what was stored before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_files_no_longer_fit_fails_its_charts_with_storage_full_and_keeps_the_rest() {
    let Some(d) = OnSmallDisk::start().await else {
        return;
    };
    let s = &d.s;
    // One chart many times: fast on the small export, so claimed in
    // batches, and each round's width its own file.
    let images = Value::from(vec![
        json!({"algorithm_key": "top_patent_countries", "output_format": "svg"});
        40
    ]);
    // The upload first, while it fits; then jobs on its dataset.
    let (status, created) = s
        .post_job(
            &s.admin_token,
            standard_export(),
            &images,
            None,
            Some(&json!({"width": 1001})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let before = s
        .wait_job(&s.admin_token, created["job_id"].as_str().expect("id"))
        .await;
    let dataset = before["dataset_id"].as_str().expect("dataset").to_string();
    assert_eq!(before["status"], "SUCCESS", "{}", before["image_tasks"][0]);
    let tasks = before["image_tasks"].as_array().expect("tasks");
    // The same chart 40 times is drawn once per worker at most (a worker's
    // first claim is one chart); every batch after finds it in the cache.
    let fresh = tasks.iter().filter(|t| t["cache_hit"] == false).count();
    assert!(fresh <= 2, "{fresh} of {} drawn afresh", tasks.len());
    let claims: std::collections::HashSet<&str> = tasks
        .iter()
        .map(|t| t["started_at"].as_str().expect("started"))
        .collect();
    assert!(
        claims.len() < tasks.len(),
        "the charts ran in batches ({} claims for {} charts)",
        claims.len(),
        tasks.len()
    );
    let svgs: Vec<&str> = tasks
        .iter()
        .map(|t| t["svg_url"].as_str().expect("svg url"))
        .collect();
    for url in &svgs {
        assert_eq!(s.get(&s.admin_token, url).await.status(), 200, "{url}");
    }

    let filler = d.fill();
    d.assert_failed_full(&d.run(&dataset, &images, 1002).await)
        .await;
    for url in &svgs {
        assert_eq!(
            s.get(&s.admin_token, url).await.status(),
            200,
            "stored before the disk filled: {url}"
        );
    }

    std::fs::remove_file(&filler).expect("free the disk");
    let again = d.run(&dataset, &images, 1003).await;
    assert_eq!(
        again["status"], "SUCCESS",
        "the server goes on: {}",
        again["image_tasks"][0]
    );
    // Written with their batch, named as written.
    for t in again["image_tasks"].as_array().expect("tasks") {
        let url = t["svg_url"].as_str().expect("svg url");
        let r = s.get(&s.admin_token, url).await;
        assert_eq!(r.status(), 200, "{url}");
        let body = r.bytes().await.expect("svg");
        let sha = t["svg_sha256"].as_str().expect("sha");
        assert_eq!(hex::encode(Sha256::digest(&body)), sha, "{url}");
    }
}
