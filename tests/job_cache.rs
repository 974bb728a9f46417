//! The detail of an ended job carries an ETag: a client holding it gets
//! 304, and the tag changes with anything the detail shows (a description
//! asked for later, the reader, the origin its links are built on).

use std::time::Duration;

use patchart_suite::server::TestServer;
use patchart_suite::workbook::standard_export;
use serde_json::{Value, json};

async fn read(
    s: &TestServer,
    token: &str,
    path: &str,
    etag: Option<&str>,
) -> (u16, Option<String>, String) {
    let mut req = s.http.get(s.url(path)).bearer_auth(token);
    if let Some(t) = etag {
        req = req.header("If-None-Match", t);
    }
    let r = req.send().await.expect("GET");
    let status = r.status().as_u16();
    let tag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, tag, r.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_jobs_detail_is_revalidated_by_etag_and_changes_with_what_it_shows() {
    for s in TestServer::on_each_backend(|_| {}).await {
        let owner = s.user_token("ana").await;
        let (status, created) = s
            .post_job(
                &owner,
                standard_export(),
                &json!([{"algorithm_key": "top_patent_countries", "output_format": "svg"}]),
                None,
                None,
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["job_id"].as_str().expect("id").to_string();
        let path = format!("/api/jobs/{id}/");
        // Not ended yet: no tag (it changes by the moment).
        let (_, tag, body) = read(&s, &owner, &path, None).await;
        let early: Value = serde_json::from_str(&body).expect("JSON");
        if matches!(early["status"].as_str(), Some("PENDING" | "RUNNING")) {
            assert!(tag.is_none(), "{early}");
        }
        let job = s.wait_job(&owner, &id).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");

        let (status, tag, body) = read(&s, &owner, &path, None).await;
        assert_eq!(status, 200);
        let tag = tag.expect("an ended job has an ETag");
        let first: Value = serde_json::from_str(&body).expect("JSON");
        // From the cache, the same body.
        let (_, again, body) = read(&s, &owner, &path, None).await;
        assert_eq!(again.as_deref(), Some(tag.as_str()));
        assert_eq!(serde_json::from_str::<Value>(&body).expect("JSON"), first);
        let (status, _, body) = read(&s, &owner, &path, Some(&tag)).await;
        assert_eq!(status, 304);
        assert!(body.is_empty());
        // Another reader sees other descriptions: another tag.
        let (status, admin_tag, _) = read(&s, &s.admin_token, &path, Some(&tag)).await;
        assert_eq!(status, 200);
        assert_ne!(admin_tag.as_deref(), Some(tag.as_str()));

        // A description asked for after the end changes the detail.
        let task = first["image_tasks"][0]["id"].as_str().expect("task");
        let r = s
            .http
            .post(s.url("/api/ai/describe/"))
            .bearer_auth(&owner)
            .json(&json!({"image_task_id": task}))
            .send()
            .await
            .expect("describe");
        assert_eq!(r.status(), 202);
        let mut changed = None;
        for _ in 0..100 {
            let (status, new_tag, body) = read(&s, &owner, &path, Some(&tag)).await;
            if status == 200 {
                let detail: Value = serde_json::from_str(&body).expect("JSON");
                if detail["description_tasks"][0]["status"] == "SUCCESS" {
                    changed = Some((new_tag, detail));
                    break;
                }
            } else {
                assert_eq!(status, 304);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (new_tag, detail) = changed.expect("the description shows in the detail");
        assert_ne!(new_tag.as_deref(), Some(tag.as_str()));
        assert_eq!(
            detail["description_tasks"].as_array().map(Vec::len),
            Some(1)
        );
    }
}
