//! `check`'s native-mode lines: the pool's OpenID discovery document and its plan and domain,
//! read as an MCP client of revision 2026-07-28 would need them
//! ([`cognito_mcp_auth::native::diagnose`]), and the mode to use with the reason.

use std::time::Duration;

use cognito_admin::PoolDescription;
use cognito_mcp_auth::AuthMode;
use cognito_mcp_auth::native::{Level, PoolFacts, diagnose};
use serde_json::Value;

use crate::config::Settings;

/// The discovery document at `url`, or why it could not be read.
async fn discovery(url: &str) -> Result<Value, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let reply = client.get(url).send().await.map_err(|e| {
        let mut s = e.to_string();
        if let Some(src) = std::error::Error::source(&e) {
            s = format!("{s}: {src}");
        }
        format!("{url}: {s}")
    })?;
    let status = reply.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    reply
        .json()
        .await
        .map_err(|e| format!("{url} is not a JSON document: {e}"))
}

/// Prints the findings; false when native mode is configured and cannot work.
pub(crate) async fn report(settings: &Settings, pool_id: &str, pool: &PoolDescription) -> bool {
    let url = settings.auth.discovery_url_for(pool_id);
    let doc = discovery(&url).await;
    let facts = PoolFacts::new(
        pool.tier.clone(),
        pool.domain.is_some() || pool.custom_domain.is_some(),
    );
    let d = diagnose(doc.as_ref().map_err(String::as_str), &facts);
    let native = settings.auth.mode == AuthMode::Native;
    for f in &d.findings {
        let level = match f.level {
            Level::Ok => "ok",
            Level::Blocker if native => "error",
            _ => "warning",
        };
        println!("{level}: native mode: {}", f.text);
    }
    println!("note: recommendation: {}", d.recommendation);
    !native || d.native_possible
}
