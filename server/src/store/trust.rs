//! What trust stores: operators' second factors (secret, the last step a
//! code was accepted for, recovery codes, pending sign-in challenges), an
//! organization's security settings, and its append-only audit log.

use async_trait::async_trait;
use echo_protocol::trust::{AuditAction, AuditActor, AuditActorKind, AuditEntry};
use echo_protocol::{OperatorId, OrganizationId, Timestamp};

use super::rows::Row;
use super::StoreResult;
use crate::secrets::SecretHash;

/// An operator's second factor.
#[derive(Debug, Clone)]
pub struct TwoFactor {
    /// Base32 TOTP secret.
    pub secret: String,
    /// Set up but not yet confirmed by a first code.
    pub enabled: bool,
}

/// An audit log line to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub organization: OrganizationId,
    pub at: Timestamp,
    pub action: AuditAction,
    pub actor: AuditActor,
    pub address: Option<String>,
    pub target: Option<String>,
    pub fields: Vec<String>,
}

/// The columns [`audit_entry`] reads, after `seq`.
pub(crate) const AUDIT_ENTRY: &str =
    "seq, at, action, actor_kind, actor_id, actor_name, address, target, detail";

pub(crate) fn audit_entry(row: &impl Row) -> StoreResult<(i64, AuditEntry)> {
    let fields: Option<String> = row.col(8)?;
    Ok((
        row.col(0)?,
        AuditEntry {
            at: row.col(1)?,
            action: row.col(2)?,
            actor: AuditActor {
                kind: row.col::<AuditActorKind>(3)?,
                id: row.col(4)?,
                name: row.col(5)?,
            },
            address: row.col(6)?,
            target: row.col(7)?,
            fields: fields
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default(),
        },
    ))
}

/// The `detail` column of an entry: its fields as a JSON array, if any.
pub(crate) fn audit_detail(entry: &NewAuditEntry) -> Option<String> {
    (!entry.fields.is_empty())
        .then(|| serde_json::to_string(&entry.fields).expect("strings serialize"))
}

#[async_trait]
pub trait TrustStore: Send + Sync {
    /// The operator's second factor, pending or enabled.
    async fn two_factor(&self, operator: OperatorId) -> StoreResult<Option<TwoFactor>>;
    /// Stores a new pending secret, replacing a pending one; `Conflict`
    /// when two-factor sign-in is already on.
    async fn begin_two_factor(
        &self,
        operator: OperatorId,
        secret: String,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Turns the pending secret on, records `step` as used and stores the
    /// recovery codes' hashes, in one transaction; `Conflict` when it is
    /// already on or nothing is pending.
    async fn enable_two_factor(
        &self,
        operator: OperatorId,
        step: i64,
        recovery_codes: Vec<SecretHash>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Forgets the secret and the recovery codes.
    async fn disable_two_factor(&self, operator: OperatorId) -> StoreResult<()>;
    /// Records `step` as used: `false` when it (or a later one) already was,
    /// so a code is accepted once.
    async fn use_two_factor_step(&self, operator: OperatorId, step: i64) -> StoreResult<bool>;
    /// Marks an unused recovery code used: `false` when there is none.
    async fn use_recovery_code(
        &self,
        operator: OperatorId,
        code: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn create_challenge(
        &self,
        id_hash: &SecretHash,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// The operator of an unexpired challenge.
    async fn challenge(
        &self,
        id_hash: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<OperatorId>>;
    /// Ends a challenge: `false` when it had already ended (used
    /// concurrently), so it completes one sign-in only. Expired ones go too.
    async fn end_challenge(&self, id_hash: &SecretHash, now: Timestamp) -> StoreResult<bool>;

    /// Sets the fields given (`NotFound` for an unknown organization).
    async fn set_security(
        &self,
        organization: OrganizationId,
        change: echo_protocol::trust::UpdateOrganization,
    ) -> StoreResult<()>;

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// The organization's entries before `before` (a `seq`), newest first.
    async fn audit_log(
        &self,
        organization: OrganizationId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditEntry)>>;
    /// Deletes entries older than `before`; returns how many.
    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64>;
}
