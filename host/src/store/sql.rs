//! The one SQL dialect the store speaks to both backends, and the few
//! places where they differ.
//!
//! Statements are written once, with `$1`-style placeholders and the
//! common subset of SQLite and PostgreSQL (`RETURNING`, `ON CONFLICT`,
//! `UPDATE … FROM`, `CASE`), and run through sqlx's `Any` driver, so each
//! query exists in one place whatever the database. The differences that
//! remain (connecting, migrations, how a write transaction begins, how a
//! claim locks its row) are in [`super::sqlite`] and [`super::postgres`].

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use sqlx::AnyPool;
use sqlx::AssertSqlSafe;

use crate::error::{Error, ErrorCode};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file under the data dir: the embedded default, one node.
    Sqlite,
    /// A server several nodes share.
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The connection pools of a store.
#[derive(Clone)]
pub(crate) struct Db {
    pub backend: Backend,
    /// Reads. On SQLite, read-only connections that WAL lets run beside
    /// the writer; on PostgreSQL, the same pool as `write`.
    pub read: AnyPool,
    /// Writes and write transactions. On SQLite, one connection (see
    /// [`super::sqlite`]).
    pub write: AnyPool,
}

impl Db {
    /// `sql` in this backend's placeholder syntax.
    ///
    /// SQLite reads `$1` as a *named* parameter and numbers named
    /// parameters by first appearance, so `… $2 … $1 …` would bind the
    /// wrong values; `?1` is positional there. Each static statement is
    /// translated once and kept for the life of the process (a fixed set).
    pub fn sql(&self, sql: &'static str) -> &'static str {
        match self.backend {
            Backend::Postgres => sql,
            Backend::Sqlite => sqlite_static(sql),
        }
    }

    /// A statement built at run time (multi-row inserts), in this
    /// backend's placeholder syntax.
    pub fn sql_owned(&self, sql: String) -> AssertSqlSafe<String> {
        AssertSqlSafe(match self.backend {
            Backend::Postgres => sql,
            Backend::Sqlite => to_sqlite_placeholders(&sql),
        })
    }
}

fn sqlite_static(sql: &'static str) -> &'static str {
    static CACHE: OnceLock<RwLock<HashMap<(usize, usize), &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (sql.as_ptr() as usize, sql.len());
    if let Some(hit) = cache.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return hit;
    }
    let translated: &'static str = Box::leak(to_sqlite_placeholders(sql).into_boxed_str());
    cache
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, translated);
    translated
}

/// `$N` outside quoted literals becomes `?N`.
fn to_sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '$' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => out.push('?'),
            _ => out.push(c),
        }
    }
    out
}

/// A multi-row `VALUES` list: `rows` tuples of `columns` placeholders,
/// numbered from `$1`.
pub(crate) fn values_list(rows: usize, columns: usize) -> String {
    values_list_from(rows, columns, 1)
}

/// [`values_list`] numbered from `$first`, after a statement's own binds.
pub(crate) fn values_list_from(rows: usize, columns: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * columns + c + first).to_string());
        }
        out.push(')');
    }
    out
}

/// `count` placeholders from `$first`, comma-separated: an `IN (...)`
/// list after a statement's own binds.
pub(crate) fn param_list(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A database error as the store reports it.
pub(crate) fn db(e: sqlx::Error) -> Error {
    let code = if is_transient(&e) {
        ErrorCode::DatabaseUnavailable
    } else {
        ErrorCode::Internal
    };
    Error::new(code, format!("database error: {e}"))
}

/// Whether trying the same work again may succeed: the connection was
/// lost or could not be had, the server is restarting, or the database
/// chose this transaction as the loser of a conflict (serialization
/// failure, deadlock, SQLite's busy or locked), or ran out of disk or
/// connections for now. Anything else (a
/// constraint, a type, a syntax error) fails the same way every time.
pub(crate) fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| transient_code(&c)),
        _ => false,
    }
}

fn transient_code(code: &str) -> bool {
    // PostgreSQL SQLSTATEs: class 08 (connection exception), 40001
    // (serialization failure), 40P01 (deadlock), class 53 (out of disk,
    // memory or connections), 57P01..57P03 (the server shutting down or
    // starting). SQLite result codes: 5 (BUSY), 6 (LOCKED), 13 (FULL),
    // and their extended forms (BUSY_SNAPSHOT is 517 …).
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "40001" | "40P01" | "57P01" | "57P02" | "57P03")
        || code
            .parse::<i64>()
            .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 13))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_positional_for_sqlite_outside_literals() {
        assert_eq!(
            to_sqlite_placeholders(
                "SELECT * FROM t WHERE a = $2 AND b = $1 AND c = '$1' AND d = $10"
            ),
            "SELECT * FROM t WHERE a = ?2 AND b = ?1 AND c = '$1' AND d = ?10"
        );
    }

    #[test]
    fn a_values_list_numbers_every_placeholder_once_in_order() {
        assert_eq!(values_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(param_list(3, 4), "$4, $5, $6");
    }

    #[test]
    fn conflicts_and_lost_connections_are_transient_and_constraints_are_not() {
        for code in [
            "40001", "40P01", "08006", "53100", "57P01", "5", "517", "6", "13",
        ] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["23505", "42P01", "19", "2067", "1"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}
