//! Watches the plugins directory: a `.wasm` dropped in is loaded, a
//! replaced one becomes the new build, a removed one is retired.
//!
//! File events only say *that* something changed; the catalog rescans the
//! directory and compares sizes, times and hashes. Events come in bursts
//! while a file is copied, so they are gathered for a short quiet period
//! first. A slow periodic rescan covers file systems that send no events.

use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use super::PluginCatalog;
use crate::error::{Error, ErrorCode, Result};

/// How long the directory must be quiet before a rescan.
const QUIET: Duration = Duration::from_millis(150);
/// Rescan interval without events.
const RESCAN: Duration = Duration::from_secs(30);

/// Starts watching `catalog.dir()`; stops when `shutdown` turns true.
pub fn spawn(
    catalog: Arc<PluginCatalog>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        match event {
            Ok(e) if e.kind.is_access() => {}
            // Errors (an overflowed queue, say) also call for a rescan.
            _ => {
                let _ = tx.send(());
            }
        }
    })
    .map_err(|e| watch_error(&catalog, e))?;
    watcher
        .watch(catalog.dir(), RecursiveMode::NonRecursive)
        .map_err(|e| watch_error(&catalog, e))?;
    Ok(tokio::spawn(async move {
        // Owned by the task: dropping it stops the events.
        let _watcher = watcher;
        loop {
            tokio::select! {
                got = rx.recv() => {
                    if got.is_none() {
                        break;
                    }
                    // Gather the burst.
                    while let Ok(Some(())) = tokio::time::timeout(QUIET, rx.recv()).await {}
                    catalog.scan_directory().await;
                }
                _ = tokio::time::sleep(RESCAN) => catalog.scan_directory().await,
                _ = shutdown.changed() => {
                    if *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    }))
}

fn watch_error(catalog: &PluginCatalog, e: notify::Error) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!(
            "cannot watch the plugins directory {}: {e}",
            catalog.dir().display()
        ),
    )
}
