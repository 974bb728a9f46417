//! `patchart token create|list|revoke`, against the database of
//! `--data-dir` or `--database-url`.

use super::{TokenCommand, tokio_runtime};
use crate::error::{Error, ErrorCode, Result};
use crate::store::NewToken;

pub(super) fn run(command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            store,
            user,
            admin,
            label,
            expires_days,
        } => {
            let user = user.trim().to_string();
            if user.is_empty() {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "--user must not be empty",
                ));
            }
            tokio_runtime()?.block_on(async {
                let store = store.open().await?;
                let u = store.ensure_user(&user, admin).await?;
                let new = NewToken {
                    label,
                    expires_ms: expires_days.map(|d| {
                        chrono::Utc::now().timestamp_millis() + i64::from(d) * 24 * 3600 * 1000
                    }),
                };
                let (secret, row) = store.create_token_with(&u, &new).await?;
                let until = row.expires_ms.map_or("never expires".to_string(), |ms| {
                    format!("expires {}", when(ms))
                });
                println!("token {} for {} ({}), {until}:", row.id, u.name, u.role);
                println!("{secret}");
                Ok(())
            })
        }
        TokenCommand::List { store, user, json } => tokio_runtime()?.block_on(async {
            let store = store.open().await?;
            let tokens = store.tokens(user.as_deref()).await?;
            for t in &tokens {
                if json {
                    let mut v = serde_json::to_value(t).map_err(|e| {
                        Error::new(ErrorCode::Internal, format!("token as JSON: {e}"))
                    })?;
                    v["active"] = t.active().into();
                    println!("{v}");
                } else {
                    let state = match (&t.revoked_at, t.active()) {
                        (Some(at), _) => format!("revoked {at}"),
                        (None, false) => "expired".to_string(),
                        (None, true) => "active".to_string(),
                    };
                    let until = t.expires_ms.map_or("never".to_string(), when);
                    println!(
                        "{}  {:<16} {:<5}  expires {:<24}  {:<28}  {}",
                        t.id,
                        t.user,
                        t.role,
                        until,
                        state,
                        t.label.as_deref().unwrap_or("")
                    );
                }
            }
            if tokens.is_empty() && !json {
                println!("no tokens");
            }
            Ok(())
        }),
        TokenCommand::Revoke { store, id } => tokio_runtime()?.block_on(async {
            let store = store.open().await?;
            match store.revoke_token(id.trim()).await? {
                Some(t) => {
                    println!("revoked token {} of {}", t.id, t.user);
                    Ok(())
                }
                None => Err(Error::new(
                    ErrorCode::NotFound,
                    format!("no token {id}; `patchart token list` shows their ids"),
                )),
            }
        }),
    }
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}
