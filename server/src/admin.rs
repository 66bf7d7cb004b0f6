//! The administration commands, as functions over a store so tests can call
//! them too.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::validate::MessageText;
use echo_protocol::validate::{parse_suggestions, GreetMessage, ValidationError, VisitorName};
use echo_protocol::widget::DEFAULT_GREET_MESSAGE;
use echo_protocol::{ConversationId, OrganizationId};
use serde::Serialize;

use crate::clock::Clock;
use crate::secrets::OperatorKey;
use crate::store::{new_message, NewOrganization, Store, StoreResult, SubscriptionStatus};

/// What `org create` prints: the only time the operator key is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedOrganization {
    pub organization_id: OrganizationId,
    pub operator_key: String,
}

pub async fn create_organization(
    store: &dyn Store,
    clock: &Clock,
    name: &str,
) -> anyhow::Result<CreatedOrganization> {
    // An organization name follows the same rule as a visitor's name.
    let name = VisitorName::parse(name)
        .map_err(|e| ValidationError::new("name", e.message))?
        .into_inner();
    let id = OrganizationId::from_uuid(uuid::Uuid::new_v4());
    let key = OperatorKey::generate();
    store
        .create_organization(NewOrganization {
            id,
            name,
            operator_key_hash: key.hash(),
            greet_message: DEFAULT_GREET_MESSAGE.to_owned(),
            created_at: clock.now(),
        })
        .await?;
    Ok(CreatedOrganization {
        organization_id: id,
        operator_key: key.expose_secret().to_owned(),
    })
}

pub async fn set_subscription(
    store: &dyn Store,
    id: OrganizationId,
    status: SubscriptionStatus,
) -> StoreResult<()> {
    store.set_subscription(id, status).await
}

pub async fn set_widget_settings(
    store: &dyn Store,
    id: OrganizationId,
    greet: &str,
    suggestions: &[String],
) -> anyhow::Result<()> {
    let greet = GreetMessage::parse(greet)?.into_inner();
    let suggestions = parse_suggestions(suggestions)?
        .into_iter()
        .map(|s| s.into_inner())
        .collect();
    store.set_widget_settings(id, greet, suggestions).await?;
    Ok(())
}

/// Posts a message into a conversation as the assistant or an operator.
pub async fn add_message(
    store: &dyn Store,
    clock: &Clock,
    conversation: ConversationId,
    role: MessageRole,
    text: &str,
) -> anyhow::Result<Message> {
    anyhow::ensure!(
        role != MessageRole::Visitor,
        "visitors write through the widget"
    );
    let text = MessageText::parse(text)?.into_inner();
    Ok(store
        .add_message_unscoped(conversation, new_message(role, text, clock.now()))
        .await?)
}

pub async fn set_conversation_status(
    store: &dyn Store,
    clock: &Clock,
    conversation: ConversationId,
    status: ConversationStatus,
) -> StoreResult<()> {
    store
        .set_status_unscoped(conversation, status, clock.now())
        .await
}

/// Adds a file to an organization's knowledge base (`knowledge add`): the
/// same checks and extraction as an upload, without the subscription gate
/// (an administrator's import). A running server's index picks it up on its
/// next search.
pub async fn add_knowledge_file(
    store: &dyn Store,
    clock: &Clock,
    organization: OrganizationId,
    path: &std::path::Path,
) -> anyhow::Result<echo_protocol::knowledge::KnowledgeFile> {
    let bytes = std::fs::read(path)?;
    anyhow::ensure!(
        bytes.len() <= echo_protocol::knowledge::MAX_FILE_BYTES,
        "{} is over the 5 MiB limit",
        path.display()
    );
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "untitled".into());
    let prepared = crate::knowledge::prepare(organization, name, None, &bytes, clock.now())?;
    store.add_knowledge_file(prepared.file).await?;
    Ok(prepared.listed)
}
