//! What the benchmarks share: making visitors through the public API, and a
//! throwaway PostgreSQL cluster.

pub mod postgres;
pub mod uploads;

use echo_protocol::contact_sessions::{ContactSessionCreated, CreateContactSession};
use echo_protocol::conversations::{ConversationCreated, CreateConversation};
use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{ConversationId, OrganizationId};

/// A visitor with a session and one conversation, made over HTTP.
pub struct BenchVisitor {
    pub token: String,
    pub conversation: ConversationId,
}

pub async fn new_visitor(
    client: &reqwest::Client,
    base: &str,
    organization_id: OrganizationId,
    n: usize,
) -> anyhow::Result<BenchVisitor> {
    let session: ContactSessionCreated = client
        .post(format!("{base}/v1/contact-sessions"))
        .json(&CreateContactSession {
            organization_id,
            name: format!("Visitor {n}"),
            email: format!("visitor{n}@example.com"),
            metadata: BrowserMetadata::default(),
            user_id: None,
            user_hash: None,
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = session.contact_session_id.expose_secret().to_owned();
    let created: ConversationCreated = client
        .post(format!("{base}/v1/conversations"))
        .bearer_auth(&token)
        .json(&CreateConversation { organization_id })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(BenchVisitor {
        token,
        conversation: created.conversation_id,
    })
}
