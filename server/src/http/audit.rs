//! Writing the audit log: who (an operator, an API key, or someone signing
//! in as a member), from which address, did what to what. Each entry is
//! appended after the action it records has committed; a failure to append
//! is logged, never shown to the caller, whose action stands.

use std::net::IpAddr;

use echo_protocol::trust::{AuditAction, AuditActor, AuditActorKind};
use echo_protocol::OrganizationId;

use super::auth::{Actor, Operator};
use super::ApiContext;
use crate::store::trust::NewAuditEntry;
use crate::store::OperatorAccount;

/// Audit log entries are kept this long.
pub const KEEP_DAYS: i64 = 400;

/// What one entry says beyond its actor.
pub struct Audited {
    pub action: AuditAction,
    pub target: Option<String>,
    pub fields: Vec<String>,
}

impl Audited {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            target: None,
            fields: Vec::new(),
        }
    }

    pub fn target(mut self, target: impl ToString) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub fn fields(mut self, fields: Vec<String>) -> Self {
        self.fields = fields;
        self
    }
}

fn actor_of(operator: &Operator) -> AuditActor {
    match &operator.actor {
        Actor::ApiKey { key_id, .. } => AuditActor {
            kind: AuditActorKind::ApiKey,
            id: Some(key_id.to_string()),
            name: None,
        },
        Actor::Member { operator, .. } => AuditActor {
            kind: AuditActorKind::Operator,
            id: Some(operator.id.to_string()),
            name: Some(operator.name.clone()),
        },
    }
}

async fn append(ctx: &ApiContext, entry: NewAuditEntry) {
    let action = entry.action;
    if let Err(error) = ctx.store.append_audit(entry).await {
        tracing::error!(action = action.as_str(), %error, "could not append to the audit log");
    }
}

impl Operator {
    /// Records what this caller did in its organization.
    pub async fn audit(&self, ctx: &ApiContext, audited: Audited) {
        append(
            ctx,
            NewAuditEntry {
                organization: self.organization,
                at: ctx.clock.now(),
                action: audited.action,
                actor: actor_of(self),
                address: Some(self.address.to_string()),
                target: audited.target,
                fields: audited.fields,
            },
        )
        .await;
    }
}

/// Records an action of an operator's own account (a sign-in, two-factor
/// on or off) in every organization they are a member of, since each
/// organization's admins answer for who can open its inbox.
pub async fn account_event(
    ctx: &ApiContext,
    account: &OperatorAccount,
    address: IpAddr,
    action: AuditAction,
) {
    let organizations: Vec<OrganizationId> = match ctx.store.memberships(account.id).await {
        Ok(memberships) => memberships.iter().map(|m| m.organization_id).collect(),
        Err(error) => {
            tracing::error!(%error, "could not read memberships for the audit log");
            return;
        }
    };
    for organization in organizations {
        append(
            ctx,
            NewAuditEntry {
                organization,
                at: ctx.clock.now(),
                action,
                actor: AuditActor {
                    kind: AuditActorKind::Operator,
                    id: Some(account.id.to_string()),
                    name: Some(account.name.clone()),
                },
                address: Some(address.to_string()),
                target: Some(account.email.clone()),
                fields: Vec::new(),
            },
        )
        .await;
    }
}

/// Records that `operator` joined `organization` by accepting an invitation.
pub async fn invitation_accepted(
    ctx: &ApiContext,
    organization: OrganizationId,
    operator: &echo_protocol::team::OperatorProfile,
    address: IpAddr,
) {
    append(
        ctx,
        NewAuditEntry {
            organization,
            at: ctx.clock.now(),
            action: AuditAction::InvitationAccepted,
            actor: AuditActor {
                kind: AuditActorKind::Operator,
                id: Some(operator.id.to_string()),
                name: Some(operator.name.clone()),
            },
            address: Some(address.to_string()),
            target: Some(operator.email.clone()),
            fields: Vec::new(),
        },
    )
    .await;
}
