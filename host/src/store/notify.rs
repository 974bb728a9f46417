//! Wake-ups between the nodes that share a database.
//!
//! Whatever a node commits that another node should act on soon (events
//! to stream, work to claim, a job to stop, plugins to reload) is also
//! announced as a [`Signal`]. On PostgreSQL the announcement is a
//! `NOTIFY` sent inside the committing transaction, so it is delivered
//! exactly when (and only if) the change is visible; every node listens
//! and re-broadcasts what it hears to its own subscribers. On SQLite (one
//! node) signals stay in the process.
//!
//! A signal is only a hint: the database is the truth. Subscribers re-read
//! what the signal points at, and a listener that lost its connection
//! sends [`Signal::Resync`], after which they re-read everything they
//! watch: a missed notification costs latency, never an event.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

/// The channel every node listens on.
pub(crate) const CHANNEL: &str = "patchart";

/// What changed, as far as another node needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Events of `job_id` up to `last_id` are in the log.
    Events { job_id: String, last_id: i64 },
    /// Work may be claimable: tasks were queued or given back.
    Work,
    /// `job_id` was cancelled; its running tasks must stop.
    Cancelled { job_id: String },
    /// One image task was cancelled; if it runs, it must stop.
    TaskCancelled { task_id: String },
    /// Plugin records (status, limits, new builds) changed.
    Plugins,
    /// Signals may have been lost; re-read everything watched.
    Resync,
}

impl Signal {
    /// The `NOTIFY` payload (at most 8000 bytes; ids are short).
    pub(crate) fn payload(&self) -> String {
        match self {
            Signal::Events { job_id, last_id } => format!("e:{last_id}:{job_id}"),
            Signal::Work => "w".to_string(),
            Signal::Cancelled { job_id } => format!("c:{job_id}"),
            Signal::TaskCancelled { task_id } => format!("t:{task_id}"),
            Signal::Plugins => "p".to_string(),
            Signal::Resync => "r".to_string(),
        }
    }

    pub(crate) fn parse(payload: &str) -> Option<Signal> {
        let (kind, rest) = payload.split_once(':').unwrap_or((payload, ""));
        Some(match kind {
            "e" => {
                let (id, job) = rest.split_once(':')?;
                Signal::Events {
                    job_id: job.to_string(),
                    last_id: id.parse().ok()?,
                }
            }
            "w" => Signal::Work,
            "c" if !rest.is_empty() => Signal::Cancelled {
                job_id: rest.to_string(),
            },
            "t" if !rest.is_empty() => Signal::TaskCancelled {
                task_id: rest.to_string(),
            },
            "p" => Signal::Plugins,
            "r" => Signal::Resync,
            _ => return None,
        })
    }
}

/// The sending side every [`super::Store`] clone shares.
#[derive(Clone)]
pub(crate) struct Signals {
    tx: broadcast::Sender<Signal>,
    /// Prefixed to every payload this store sends, so its listener can
    /// drop the echo of its own notifications: they were delivered here
    /// at commit already, and each echo cost a re-read (of a job's
    /// events, of the plugin records) for nothing.
    origin: Arc<str>,
}

impl Signals {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        let origin = uuid::Uuid::new_v4().simple().to_string()[..12].into();
        Signals { tx, origin }
    }

    /// `s` as this store's `NOTIFY` payload.
    pub fn payload(&self, s: &Signal) -> String {
        format!("@{}/{}", self.origin, s.payload())
    }

    /// Tells this node's subscribers (no subscriber is not an error).
    pub fn local(&self, s: Signal) {
        let _ = self.tx.send(s);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.tx.subscribe()
    }

    /// Re-broadcasts what other nodes announce on the PostgreSQL server at
    /// `url`, until every store sharing these signals is dropped. The
    /// notifications this store sent come back too, and are dropped.
    pub fn listen(&self, url: String) {
        let weak = self.tx.downgrade();
        let origin = self.origin.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                if weak.upgrade().is_none() {
                    return;
                }
                let mut listener = match PgListener::connect(&url).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for other nodes' changes; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                };
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed; retrying");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                backoff = Duration::from_millis(100);
                // Whatever was announced while this node was not listening
                // is only in the database now.
                match weak.upgrade() {
                    Some(tx) => {
                        let _ = tx.send(Signal::Resync);
                    }
                    None => return,
                }
                loop {
                    let next =
                        tokio::time::timeout(Duration::from_secs(1), listener.try_recv()).await;
                    let Some(tx) = weak.upgrade() else { return };
                    match next {
                        // Quiet: check now and then that the store is alive.
                        Err(_) => continue,
                        Ok(Ok(Some(n))) => {
                            if let Some(s) = foreign(&origin, n.payload()) {
                                let _ = tx.send(s);
                            }
                        }
                        // The connection was lost; the listener reconnects
                        // on the next call, and nothing it missed is known.
                        Ok(Ok(None)) => {
                            let _ = tx.send(Signal::Resync);
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "listening for other nodes' changes failed; reconnecting");
                            let _ = tx.send(Signal::Resync);
                            break;
                        }
                    }
                }
            }
        });
    }
}

/// The signal of a payload another store sent; `None` for one of the
/// store of `own_origin`, and for one no version of patchart sends.
fn foreign(own_origin: &str, payload: &str) -> Option<Signal> {
    match payload.strip_prefix('@').and_then(|p| p.split_once('/')) {
        Some((origin, _)) if origin == own_origin => None,
        Some((_, signal)) => Signal::parse(signal),
        None => Signal::parse(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::Signal;

    #[test]
    fn every_signal_survives_its_payload() {
        for s in [
            Signal::Events {
                job_id: "7f0c:ab".into(),
                last_id: 42,
            },
            Signal::Work,
            Signal::Cancelled {
                job_id: "j-1".into(),
            },
            Signal::TaskCancelled {
                task_id: "t-1".into(),
            },
            Signal::Plugins,
            Signal::Resync,
        ] {
            assert_eq!(Signal::parse(&s.payload()), Some(s.clone()), "{s:?}");
        }
        assert_eq!(Signal::parse("x:1"), None);
        assert_eq!(Signal::parse("e:notanumber:job"), None);
    }

    #[test]
    fn a_store_hears_other_stores_and_not_its_own_echo() {
        let (a, b) = (super::Signals::new(), super::Signals::new());
        let s = Signal::Events {
            job_id: "j/1".into(),
            last_id: 7,
        };
        assert_eq!(super::foreign(&b.origin, &a.payload(&s)), Some(s.clone()));
        assert_eq!(super::foreign(&a.origin, &a.payload(&s)), None);
        // A payload without an origin (no store sends one) still parses.
        assert_eq!(super::foreign(&a.origin, &s.payload()), Some(s));
        assert_eq!(Signal::parse("e:notanumber:job"), None);
    }
}
