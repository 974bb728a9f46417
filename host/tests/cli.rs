//! The `patchart` binary as a plugin author uses it: exit codes, files
//! written, messages on bad input.

use std::path::PathBuf;
use std::process::Command;

fn patchart() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_patchart"));
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-compile-cache");
    c.env("PATCHART_CACHE_DIR", cache);
    c
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn inspect_of_a_file_that_is_not_a_workbook_exits_1_with_the_error() {
    let dir = tmp();
    let bad = dir.path().join("notes.xlsx");
    std::fs::write(&bad, "just some text, not a workbook").expect("write");
    let out = patchart().arg("inspect").arg(&bad).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[INGEST_NOT_A_WORKBOOK]"), "{err}");
}

#[test]
fn plugin_list_names_the_built_ins() {
    let out = patchart().args(["plugin", "list"]).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("top_patent_countries\t"))
        .unwrap_or_else(|| panic!("no top_patent_countries line in {stdout}"));
    assert_eq!(line.split('\t').count(), 3, "key, version, name: {line}");
}

#[test]
fn plugin_validate_refuses_a_core_module() {
    let dir = tmp();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write");
    let out = patchart()
        .args(["plugin", "validate"])
        .arg(&core)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PLUGIN_LOAD_FAILED") && err.contains("not a component"),
        "{err}"
    );
}

#[test]
fn render_rejects_an_unknown_palette_listing_the_valid_ones() {
    let dir = tmp();
    let out = patchart()
        .args([
            "render",
            "--algorithm",
            "top_patent_countries",
            "--style",
            r#"{"palette":"neon"}"#,
            "--input",
        ])
        .arg(dir.path().join("missing.xlsx"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("INVALID_STYLE") && err.contains("colorblind"),
        "{err}"
    );
}

#[test]
fn token_create_prints_the_token_alone_on_the_last_line() {
    let dir = tmp();
    let out = patchart()
        .args(["token", "create", "--user", "alice", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "a heading and the token: {stdout}");
    // The heading names the token's id (for `token revoke`), its user
    // and role, and its expiry.
    assert!(
        lines[0].starts_with("token ") && lines[0].contains(" for alice (user), never expires:"),
        "{stdout}"
    );
    let first = lines[1];
    assert!(
        first.starts_with("pat_") && first.len() > 20 && !first.contains(' '),
        "{stdout}"
    );
    // A second token for the same user, now made an admin: another token.
    let again = patchart()
        .args([
            "token",
            "create",
            "--user",
            "alice",
            "--admin",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let stdout = String::from_utf8_lossy(&again.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "a heading and the token: {stdout}");
    assert!(
        lines[0].contains(" for alice (admin), never expires:"),
        "{stdout}"
    );
    let second = lines[1];
    assert!(
        second.starts_with("pat_") && second.len() == first.len() && !second.contains(' '),
        "{stdout}"
    );
    assert_ne!(second, first, "each call makes a new token");
    // Both tokens are alice's, and she is an admin now.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = patchart::store::Store::open(dir.path())
            .await
            .expect("open the store");
        for token in [first, second] {
            let user = store
                .user_for_token(token)
                .await
                .expect("query")
                .unwrap_or_else(|| panic!("{token} is not a known token"));
            assert_eq!(user.name, "alice");
            assert!(user.is_admin(), "{token} belongs to role {}", user.role);
        }
        assert!(
            store
                .user_for_token("pat_not-issued")
                .await
                .expect("query")
                .is_none()
        );
    });
}

#[test]
fn token_create_with_an_empty_user_exits_1_and_prints_no_token() {
    let dir = tmp();
    let out = patchart()
        .args(["token", "create", "--user", " ", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--user must not be empty"), "{err}");
}

#[test]
fn plugins_still_load_when_the_instance_pool_cannot_reserve_its_address_space() {
    // The pool asks for hundreds of GiB of address space up front; under a
    // 16 GiB `ulimit -v` that fails and instances must come from the heap.
    let out = Command::new("sh")
        .args([
            "-c",
            r#"ulimit -v 16777216 && exec "$0" plugin list"#,
            env!("CARGO_BIN_EXE_patchart"),
        ])
        .env(
            "PATCHART_CACHE_DIR",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-compile-cache"),
        )
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("top_patent_countries\t"),
        "{stderr}"
    );
    assert!(
        stderr.contains("allocating instances on demand"),
        "the fallback is logged: {stderr}"
    );
}
