//! Browser sign-in: one-time login tokens (printed by `serve`) and the
//! console sessions an HttpOnly cookie names. Like API tokens, only a
//! sha256 of each secret is stored.

use sha2::{Digest, Sha256};

use super::model::User;
use super::sql::db;
use super::{Store, now, now_ms};
use crate::error::Result;

/// How long a console session lasts without signing in again.
pub const SESSION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a printed login URL stays usable: long enough to copy it from
/// a terminal the next morning, short enough that an old log is harmless.
pub const LOGIN_TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// A one-time login token for `user`, exchanged for a session by the
    /// first request that presents it.
    pub async fn create_login_token(&self, user: &User) -> Result<String> {
        let secret = format!("login_{}", uuid::Uuid::new_v4().simple());
        self.insert_session(user, "login", &secret, LOGIN_TOKEN_LIFETIME_MS)
            .await?;
        Ok(secret)
    }

    /// A new console session for `user`; returns the cookie's secret.
    pub async fn create_session(&self, user: &User) -> Result<String> {
        let secret = format!(
            "ses_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        self.insert_session(user, "session", &secret, SESSION_LIFETIME_MS)
            .await?;
        Ok(secret)
    }

    async fn insert_session(
        &self,
        user: &User,
        kind: &str,
        secret: &str,
        lifetime_ms: i64,
    ) -> Result<()> {
        sqlx::query(self.db.sql(
            "INSERT INTO sessions (id, secret_hash, user_id, kind, created_at, expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        ))
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(hash(secret))
        .bind(&user.id)
        .bind(kind)
        .bind(now())
        .bind(now_ms() + lifetime_ms)
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Uses up login token `secret`: the user it was for, once; `None` if
    /// unknown, expired or already used. The guarded UPDATE decides, so
    /// two requests racing with one URL cannot both sign in.
    pub async fn redeem_login_token(&self, secret: &str) -> Result<Option<User>> {
        let user_id: Option<(String,)> = sqlx::query_as(self.db.sql(
            "UPDATE sessions SET ended_at = $1 \
             WHERE secret_hash = $2 AND kind = 'login' AND ended_at IS NULL AND expires_ms > $3 \
             RETURNING user_id",
        ))
        .bind(now())
        .bind(hash(secret))
        .bind(now_ms())
        .fetch_optional(&self.db.write)
        .await
        .map_err(db)?;
        let Some((user_id,)) = user_id else {
            return Ok(None);
        };
        sqlx::query_as(self.db.sql("SELECT * FROM users WHERE id = $1"))
            .bind(user_id)
            .fetch_optional(&self.db.read)
            .await
            .map_err(db)
    }

    /// The user session `secret` signs in: none if unknown, ended or
    /// expired.
    pub async fn user_for_session(&self, secret: &str) -> Result<Option<User>> {
        sqlx::query_as(self.db.sql(
            "SELECT u.* FROM users u JOIN sessions s ON s.user_id = u.id \
             WHERE s.secret_hash = $1 AND s.kind = 'session' AND s.ended_at IS NULL \
             AND s.expires_ms > $2",
        ))
        .bind(hash(secret))
        .bind(now_ms())
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }

    /// Signs session `secret` out; whether it was live.
    pub async fn end_session(&self, secret: &str) -> Result<bool> {
        let done = sqlx::query(self.db.sql(
            "UPDATE sessions SET ended_at = $1 \
             WHERE secret_hash = $2 AND kind = 'session' AND ended_at IS NULL",
        ))
        .bind(now())
        .bind(hash(secret))
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }
}

impl Store {
    /// Deletes sessions and login tokens that expired, or ended, longer
    /// ago than a session lasts: until then a replayed secret is still
    /// recognised as used rather than unknown, which tells nobody more.
    pub async fn forget_old_sessions(&self) -> Result<u64> {
        let done = sqlx::query(
            self.db
                .sql("DELETE FROM sessions WHERE expires_ms < $1 OR (ended_at IS NOT NULL AND created_at < $2)"),
        )
        .bind(now_ms() - SESSION_LIFETIME_MS)
        .bind(
            chrono::DateTime::from_timestamp_millis(now_ms() - SESSION_LIFETIME_MS)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default(),
        )
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use crate::store::test_stores;

    #[tokio::test]
    async fn a_login_token_signs_in_once_and_a_signed_out_session_no_longer_does() {
        for t in test_stores().await {
            let store = &t.store;
            let backend = store.backend().as_str();
            let user = store.ensure_user("ana", false).await.expect("user");
            let login = store.create_login_token(&user).await.expect("login");
            let who = store.redeem_login_token(&login).await.expect("redeem");
            assert_eq!(who.map(|u| u.name).as_deref(), Some("ana"), "{backend}");
            assert!(
                store
                    .redeem_login_token(&login)
                    .await
                    .expect("again")
                    .is_none(),
                "{backend}: a login token works once"
            );
            // A login token is not a session, nor the reverse.
            assert!(store.user_for_session(&login).await.expect("s").is_none());
            let session = store.create_session(&user).await.expect("session");
            assert!(
                store
                    .redeem_login_token(&session)
                    .await
                    .expect("r")
                    .is_none()
            );
            assert!(store.user_for_session(&session).await.expect("s").is_some());
            assert!(store.end_session(&session).await.expect("end"), "{backend}");
            assert!(!store.end_session(&session).await.expect("end twice"));
            assert!(
                store.user_for_session(&session).await.expect("s").is_none(),
                "{backend}: signed out"
            );
            // Fresh rows, ended or not, are kept by the sweep; one that
            // expired longer ago than a session lasts goes.
            let swept = store.forget_old_sessions().await.expect("sweep");
            assert_eq!(swept, 0, "{backend}");
            store
                .insert_session(&user, "session", "ses_old", -2 * super::SESSION_LIFETIME_MS)
                .await
                .expect("old session");
            let swept = store.forget_old_sessions().await.expect("sweep");
            assert_eq!(swept, 1, "{backend}");
        }
    }
}
