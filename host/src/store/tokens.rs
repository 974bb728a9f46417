//! API tokens: random secrets of which only a hash is stored, each with
//! an optional label and expiry, revocable. A revoked or expired token
//! stays listed (who had access until when) but authenticates no one.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::User;
use super::sql::db;
use super::{Store, now, now_ms};
use crate::error::Result;

/// What a new token is given besides its user.
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    pub label: Option<String>,
    /// When it stops authenticating, in ms since the epoch.
    pub expires_ms: Option<i64>,
}

/// A token as listed: never the secret, which exists only in the answer
/// that created it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenRow {
    #[schema(format = "uuid")]
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    /// The user it authenticates as.
    pub user: String,
    pub role: String,
    pub label: Option<String>,
    pub created_at: String,
    /// When it stops authenticating (ms since the epoch); none: never.
    pub expires_ms: Option<i64>,
    pub revoked_at: Option<String>,
}

impl TokenRow {
    /// Whether it authenticates now.
    pub fn active(&self) -> bool {
        self.revoked_at.is_none() && self.expires_ms.is_none_or(|t| t > now_ms())
    }
}

const TOKEN_COLUMNS: &str = "t.id, t.user_id, u.name AS user, u.role, t.label, t.created_at, \
     t.expires_ms, t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id";

impl Store {
    /// A new random token for `user` that never expires.
    pub async fn create_token(&self, user: &User) -> Result<String> {
        Ok(self.create_token_with(user, &NewToken::default()).await?.0)
    }

    /// A new random token for `user`; only its hash is stored. Returns the
    /// secret (to be shown once) and the token as listed.
    pub async fn create_token_with(
        &self,
        user: &User,
        new: &NewToken,
    ) -> Result<(String, TokenRow)> {
        let token = format!(
            "pat_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(self.db.sql(
            "INSERT INTO tokens (id, user_id, token_hash, created_at, label, expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        ))
        .bind(&id)
        .bind(&user.id)
        .bind(hash_token(&token))
        .bind(now())
        .bind(&new.label)
        .bind(new.expires_ms)
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        let row = self.token(&id).await?.ok_or_else(|| {
            crate::error::Error::new(
                crate::error::ErrorCode::Internal,
                "a token just created cannot be read back",
            )
        })?;
        Ok((token, row))
    }

    /// The user `token` authenticates as: none if unknown, revoked or
    /// expired.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<User>> {
        sqlx::query_as(self.db.sql(
            "SELECT u.* FROM users u JOIN tokens t ON t.user_id = u.id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
             AND (t.expires_ms IS NULL OR t.expires_ms > $2)",
        ))
        .bind(hash_token(token))
        .bind(now_ms())
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }

    pub async fn token(&self, id: &str) -> Result<Option<TokenRow>> {
        let sql = self
            .db
            .sql_owned(format!("SELECT {TOKEN_COLUMNS} WHERE t.id = $1"));
        sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(&self.db.read)
            .await
            .map_err(db)
    }

    /// Every token, or those of the user named `user`, oldest first.
    pub async fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenRow>> {
        let sql = self.db.sql_owned(format!(
            "SELECT {TOKEN_COLUMNS} WHERE ($1 IS NULL OR u.name = $1) ORDER BY t.created_at, t.id"
        ));
        sqlx::query_as(sql)
            .bind(user)
            .fetch_all(&self.db.read)
            .await
            .map_err(db)
    }

    /// Revokes token `id`; `None` if there is no such token. Revoking a
    /// revoked token keeps its first revocation time.
    pub async fn revoke_token(&self, id: &str) -> Result<Option<TokenRow>> {
        sqlx::query(
            self.db
                .sql("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1"),
        )
        .bind(id)
        .bind(now())
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        self.token(id).await
    }

    pub async fn user_named(&self, name: &str) -> Result<Option<User>> {
        sqlx::query_as(self.db.sql("SELECT * FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.db.read)
            .await
            .map_err(db)
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_stores;

    #[tokio::test]
    async fn a_token_stops_authenticating_once_revoked_or_expired_and_stays_listed() {
        for t in test_stores().await {
            let store = &t.store;
            let backend = store.backend().as_str();
            let user = store.ensure_user("ana", false).await.expect("user");
            let (live, row) = store
                .create_token_with(
                    &user,
                    &NewToken {
                        label: Some("laptop".into()),
                        expires_ms: Some(now_ms() + 60_000),
                    },
                )
                .await
                .expect("token");
            assert!(row.active(), "{backend}");
            assert_eq!(row.label.as_deref(), Some("laptop"), "{backend}");
            let (expired, _) = store
                .create_token_with(
                    &user,
                    &NewToken {
                        label: None,
                        expires_ms: Some(now_ms() - 1),
                    },
                )
                .await
                .expect("token");
            let forever = store.create_token(&user).await.expect("token");
            for (secret, authenticates) in [(&live, true), (&expired, false), (&forever, true)] {
                let who = store.user_for_token(secret).await.expect("lookup");
                assert_eq!(who.is_some(), authenticates, "{backend}");
            }
            let revoked = store
                .revoke_token(&row.id)
                .await
                .expect("revoke")
                .expect("exists");
            assert!(
                !revoked.active() && revoked.revoked_at.is_some(),
                "{backend}"
            );
            assert!(store.user_for_token(&live).await.expect("lookup").is_none());
            assert!(
                store
                    .revoke_token("no-such")
                    .await
                    .expect("revoke")
                    .is_none()
            );
            let listed = store.tokens(Some("ana")).await.expect("list");
            assert_eq!(listed.len(), 3, "{backend}");
            assert!(store.tokens(Some("nobody")).await.expect("list").is_empty());
            assert_eq!(store.tokens(None).await.expect("all").len(), 3, "{backend}");
        }
    }
}
