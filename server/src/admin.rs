//! The administration commands, as functions over a store so tests can call
//! them too.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::team::{InvitationCreated, OperatorRole};
use echo_protocol::validate::Email;
use echo_protocol::validate::MessageText;
use echo_protocol::validate::{parse_suggestions, GreetMessage, ValidationError, VisitorName};
use echo_protocol::widget::DEFAULT_GREET_MESSAGE;
use echo_protocol::{ApiKeyId, ConversationId, OrganizationId};
use serde::Serialize;

use crate::accounts::{self, PublicUrl};
use crate::clock::Clock;
use crate::secrets::OperatorKey;
use crate::store::{
    new_message, NewApiKey, NewOrganization, Store, StoreResult, SubscriptionStatus,
};

/// What `org create` prints: the only time its first API key is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedOrganization {
    pub organization_id: OrganizationId,
    /// The organization's first API key, named "Default".
    pub operator_key: String,
    /// With `--owner-email`: the owner's invitation link (as an admin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_invitation_url: Option<String>,
}

/// An organization's name follows a person's name's rules (invisible
/// characters removed first, so a name of only those is empty); `field`
/// names it in the error.
pub fn organization_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    Ok(VisitorName::parse(raw)
        .map_err(|e| ValidationError::new(field, e.message))?
        .into_inner())
}

/// A new organization named `name` (checked), with the default greeting
/// and a fresh identity secret, and no API key yet.
pub fn new_organization(clock: &Clock, name: String) -> NewOrganization {
    NewOrganization {
        id: OrganizationId::from_uuid(uuid::Uuid::new_v4()),
        name,
        first_key: None,
        identity_secret: crate::secrets::new_identity_secret(),
        greet_message: DEFAULT_GREET_MESSAGE.to_owned(),
        created_at: clock.now(),
    }
}

pub async fn create_organization(
    store: &dyn Store,
    clock: &Clock,
    name: &str,
) -> anyhow::Result<CreatedOrganization> {
    let mut org = new_organization(clock, organization_name("name", name)?);
    let key = OperatorKey::generate();
    org.first_key = Some(NewApiKey {
        id: ApiKeyId::from_uuid(uuid::Uuid::new_v4()),
        organization_id: org.id,
        name: "Default".into(),
        key_hash: key.hash(),
        created_at: org.created_at,
    });
    let id = org.id;
    store.create_organization(org).await?;
    Ok(CreatedOrganization {
        organization_id: id,
        operator_key: key.expose_secret().to_owned(),
        owner_invitation_url: None,
    })
}

/// The organization's identity secret (`org identity-secret`), replaced by
/// a new one first with `rotate` (hashes made with the old one stop
/// verifying at once).
pub async fn identity_secret(
    store: &dyn Store,
    organization: OrganizationId,
    rotate: bool,
) -> anyhow::Result<String> {
    if rotate {
        store
            .set_identity_secret(organization, crate::secrets::new_identity_secret())
            .await?;
    }
    store
        .identity_secret(organization)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization {organization}"))
}

/// Invites `email` to the organization's team (`operator invite`, and
/// `org create --owner-email`).
pub async fn invite_operator(
    store: &dyn Store,
    clock: &Clock,
    public: &PublicUrl,
    organization: OrganizationId,
    email: &str,
    role: OperatorRole,
) -> anyhow::Result<InvitationCreated> {
    let email = Email::parse(email)?;
    anyhow::ensure!(
        store.organization(organization).await?.is_some(),
        "no organization {organization}"
    );
    Ok(accounts::invite(store, clock, public, organization, email, role).await?)
}

pub async fn set_subscription(
    store: &dyn Store,
    id: OrganizationId,
    status: SubscriptionStatus,
) -> StoreResult<()> {
    store.set_subscription(id, status).await
}

/// Sets the widget's accent colour and/or theme (`widget-settings set`).
pub async fn set_brand(
    store: &dyn Store,
    id: OrganizationId,
    accent: Option<&str>,
    theme: Option<echo_protocol::widget::WidgetTheme>,
) -> anyhow::Result<()> {
    let accent = accent
        .map(echo_protocol::validate::parse_accent_color)
        .transpose()?;
    let org = store
        .organization(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization {id}"))?;
    store
        .set_brand(
            id,
            accent.unwrap_or(org.accent_color),
            theme.unwrap_or(org.theme),
        )
        .await?;
    Ok(())
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
    let raw = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = echo_protocol::text::file_name(&raw).map_err(|reason| anyhow::anyhow!(reason))?;
    let size_bytes = bytes.len() as u64;
    // The same parser process as an upload: a hostile file stops only
    // this command, within the parser's budget.
    let (_running, stopped) = tokio::sync::watch::channel(false);
    let sandbox = crate::sandbox::Sandbox::new(
        crate::sandbox::SandboxSettings::with_exe(crate::sandbox::SandboxSettings::default_exe()),
        stopped,
    );
    let extracted = sandbox.extract(&name, None, bytes).await??;
    let prepared =
        crate::knowledge::prepare(organization, name, extracted, size_bytes, clock.now());
    store.add_knowledge_file(prepared.file).await?;
    Ok(prepared.listed)
}
