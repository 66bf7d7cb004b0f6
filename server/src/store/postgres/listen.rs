//! Following committed events on every replica: `LISTEN echo_events`,
//! `echo_typing` and `echo_revoked`, published to this process's hub
//! (events in position order).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use echo_protocol::events::LiveEvent;
use echo_protocol::{ConversationId, OrganizationId};
use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::{REVOKED_CHANNEL, TYPING_CHANNEL};
use crate::live::Hub;
use crate::store::rows;

/// Publishes every committed event to the hub, in position order per
/// organization.
pub(super) async fn follow(pool: PgPool, mut listener: PgListener, hub: Arc<Hub>) {
    let mut published: HashMap<OrganizationId, i64> = HashMap::new();
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let payload = notification.payload();
                let result = if notification.channel() == TYPING_CHANNEL {
                    publish_typing(&hub, payload)
                } else if notification.channel() == REVOKED_CHANNEL {
                    crate::revocations::Revoked::decode(payload)
                        .map(|revoked| hub.revocations.revoke(&revoked))
                        .ok_or_else(|| anyhow!("malformed revocation {payload:?}"))
                } else {
                    publish_events(&pool, &hub, &mut published, payload).await
                };
                if let Err(error) = result {
                    tracing::error!(error = %error, "following events failed; streams resume from the log");
                    published.clear();
                    hub.disconnect_all();
                }
            }
            Ok(None) => {
                tracing::warn!("the LISTEN connection dropped; streams resume from the log");
                published.clear();
                hub.disconnect_all();
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::error!(error = %error, "LISTEN failed; retrying");
                published.clear();
                hub.disconnect_all();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn publish_typing(hub: &Hub, payload: &str) -> anyhow::Result<()> {
    let mut parts = payload.splitn(3, ':');
    let (Some(org), Some(conversation), Some(typing)) = (parts.next(), parts.next(), parts.next())
    else {
        anyhow::bail!("malformed typing notification {payload:?}");
    };
    let org = org
        .parse::<OrganizationId>()
        .context("typing organization")?;
    let conversation = conversation
        .parse::<ConversationId>()
        .context("typing conversation")?;
    let change = serde_json::from_str(typing).context("live-only payload")?;
    hub.ephemeral(org, conversation, change);
    Ok(())
}

async fn publish_events(
    pool: &PgPool,
    hub: &Hub,
    published: &mut HashMap<OrganizationId, i64>,
    payload: &str,
) -> anyhow::Result<()> {
    let mut parts = payload.splitn(3, ':');
    let (Some(org), Some(position)) = (parts.next(), parts.next()) else {
        anyhow::bail!("malformed event notification {payload:?}");
    };
    let inline = parts.next();
    let org = org
        .parse::<OrganizationId>()
        .context("event organization")?;
    let position: i64 = position.parse().context("event position")?;
    let after = published.get(&org).copied().unwrap_or(position - 1);
    if position <= after {
        return Ok(());
    }
    if let (true, Some(inline)) = (position == after + 1, inline) {
        let (conversation, change) = inline
            .split_once(':')
            .ok_or_else(|| anyhow!("malformed inline event"))?;
        let event = LiveEvent {
            position,
            conversation_id: conversation.parse().context("event conversation")?,
            change: serde_json::from_str(change).context("inline event is not JSON")?,
        };
        hub.publish(org, event);
        published.insert(org, position);
        return Ok(());
    }
    let rows = sqlx::query(
        "SELECT position, conversation_id, payload FROM events
         WHERE organization_id = $1 AND position > $2 AND position <= $3 ORDER BY position",
    )
    .bind(org)
    .bind(after)
    .bind(position)
    .fetch_all(pool)
    .await?;
    for row in &rows {
        hub.publish(org, rows::event(row)?);
    }
    published.insert(org, position);
    Ok(())
}
