//! Operator accounts, memberships, invitations, sessions and API keys on
//! PostgreSQL.

use async_trait::async_trait;
use echo_protocol::team::{ApiKey, Membership, OperatorRole, TeamMember};
use echo_protocol::{ApiKeyId, ConversationId, OperatorId, OrganizationId, Timestamp};

use super::effects::{apply, state_in};
use super::{changed_one, PostgresStore, Tx};
use crate::secrets::SecretHash;
use crate::store::effects::{Command, Decided};
use crate::store::rows::{
    self, API_KEY, OPERATOR_ACCOUNT, OPERATOR_SESSION, SESSION_ORGANIZATION_JOIN, TEAM_MEMBER,
};
use crate::store::{
    Invitation, Joiner, NewApiKey, NewInvitation, NewOperatorSession, OperatorAccount,
    OperatorSession, StoreError, StoreResult, TeamStore,
};

/// A new account, confirmed now when `email_verified` says so.
pub(super) async fn insert_operator(
    tx: &mut Tx,
    account: &OperatorAccount,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO operators (id, email, name, password_hash, created_at, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account.id)
    .bind(&account.email)
    .bind(&account.name)
    .bind(&account.password_hash)
    .bind(now)
    .bind(account.email_verified.then_some(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_membership(
    tx: &mut Tx,
    organization: OrganizationId,
    operator: OperatorId,
    role: OperatorRole,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO memberships (organization_id, operator_id, role, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(organization)
    .bind(operator)
    .bind(role)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_api_key(tx: &mut Tx, key: &NewApiKey) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, organization_id, name, key_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key.id)
    .bind(key.organization_id)
    .bind(&key.name)
    .bind(key.key_hash.as_str())
    .bind(key.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The operator's role, with the organization's memberships locked so two
/// concurrent demotions cannot both pass the last-admin check.
async fn locked_role(
    tx: &mut Tx,
    organization: OrganizationId,
    operator: OperatorId,
) -> StoreResult<OperatorRole> {
    sqlx::query("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE")
        .bind(organization)
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar(
        "SELECT role FROM memberships WHERE organization_id = $1 AND operator_id = $2",
    )
    .bind(organization)
    .bind(operator)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

/// How many admins the organization has besides `operator`.
async fn other_admins(
    tx: &mut Tx,
    organization: OrganizationId,
    operator: OperatorId,
) -> StoreResult<u64> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships
         WHERE organization_id = $1 AND role = 'admin' AND operator_id <> $2",
    )
    .bind(organization)
    .bind(operator)
    .fetch_one(&mut **tx)
    .await?;
    Ok(others.max(0) as u64)
}

#[async_trait]
impl TeamStore for PostgresStore {
    async fn operator_by_email(&self, email: &str) -> StoreResult<Option<OperatorAccount>> {
        let sql = format!("SELECT {OPERATOR_ACCOUNT} FROM operators WHERE email = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::operator_account(&row))
            .transpose()
    }

    async fn operator_account(&self, id: OperatorId) -> StoreResult<Option<OperatorAccount>> {
        let sql = format!("SELECT {OPERATOR_ACCOUNT} FROM operators WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::operator_account(&row))
            .transpose()
    }

    async fn memberships(&self, operator: OperatorId) -> StoreResult<Vec<Membership>> {
        sqlx::query(
            "SELECT o.id, o.name, m.role FROM memberships m
             JOIN organizations o ON o.id = m.organization_id
             WHERE m.operator_id = $1 ORDER BY o.name, o.id",
        )
        .bind(operator)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::membership)
        .collect()
    }

    async fn role_of(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
    ) -> StoreResult<Option<OperatorRole>> {
        Ok(sqlx::query_scalar(
            "SELECT role FROM memberships WHERE organization_id = $1 AND operator_id = $2",
        )
        .bind(organization)
        .bind(operator)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn create_invitation(&self, invitation: NewInvitation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO invitations
             (id, organization_id, email, role, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(invitation.id)
        .bind(invitation.organization_id)
        .bind(invitation.email)
        .bind(invitation.role)
        .bind(invitation.token_hash.as_str())
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn invitation(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<Invitation>> {
        let row: Option<(_, _, String, OperatorRole)> = sqlx::query_as(
            "SELECT id, organization_id, email, role FROM invitations
             WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
        )
        .bind(token.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, organization_id, email, role)| Invitation {
            id,
            organization_id,
            email,
            role,
        }))
    }

    async fn accept_invitation(
        &self,
        token: &SecretHash,
        now: Timestamp,
        joiner: Joiner,
    ) -> StoreResult<OperatorId> {
        let mut tx = self.begin().await?;
        let (organization, role): (OrganizationId, OperatorRole) = sqlx::query_as(
            "UPDATE invitations SET accepted_at = $2
             WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2
             RETURNING organization_id, role",
        )
        .bind(token.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let operator = match joiner {
            Joiner::Existing(id) => id,
            Joiner::New(account) => {
                insert_operator(&mut tx, &account, now).await?;
                account.id
            }
        };
        insert_membership(&mut tx, organization, operator, role, now).await?;
        tx.commit().await?;
        Ok(operator)
    }

    async fn create_operator_session(&self, session: NewOperatorSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO operator_sessions
             (id_hash, operator_id, active_organization_id, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(session.id_hash.as_str())
        .bind(session.operator_id)
        .bind(session.active_organization_id)
        .bind(session.now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn operator_session(
        &self,
        id_hash: &SecretHash,
        idle_since: Timestamp,
    ) -> StoreResult<Option<OperatorSession>> {
        let sql = format!(
            "SELECT {OPERATOR_SESSION} FROM operator_sessions s
             JOIN operators o ON o.id = s.operator_id
             LEFT JOIN memberships m ON m.operator_id = s.operator_id
                  AND m.organization_id = s.active_organization_id
                     {SESSION_ORGANIZATION_JOIN}
             WHERE s.id_hash = $1 AND s.last_seen_at > $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_hash.as_str())
            .bind(idle_since)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::operator_session(&row))
            .transpose()
    }

    async fn touch_operator_session(
        &self,
        id_hash: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<()> {
        changed_one(
            sqlx::query("UPDATE operator_sessions SET last_seen_at = $2 WHERE id_hash = $1")
                .bind(id_hash.as_str())
                .bind(now)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn set_active_organization(
        &self,
        id_hash: &SecretHash,
        organization: OrganizationId,
    ) -> StoreResult<()> {
        changed_one(
            sqlx::query(
                "UPDATE operator_sessions SET active_organization_id = $2 WHERE id_hash = $1",
            )
            .bind(id_hash.as_str())
            .bind(organization)
            .execute(&self.pool)
            .await?,
        )
    }

    async fn delete_operator_session(&self, id_hash: &SecretHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM operator_sessions WHERE id_hash = $1")
            .bind(id_hash.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password(&self, operator: OperatorId, password_hash: String) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        changed_one(
            sqlx::query("UPDATE operators SET password_hash = $2 WHERE id = $1")
                .bind(operator)
                .bind(password_hash)
                .execute(&mut *tx)
                .await?,
        )?;
        sqlx::query("DELETE FROM operator_sessions WHERE operator_id = $1")
            .bind(operator)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn team(&self, organization: OrganizationId) -> StoreResult<Vec<TeamMember>> {
        let sql = format!(
            "SELECT {TEAM_MEMBER} FROM memberships m
             JOIN operators o ON o.id = m.operator_id
             WHERE m.organization_id = $1 ORDER BY o.name, o.id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organization)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::team_member)
            .collect()
    }

    async fn set_role(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        role: OperatorRole,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let current = locked_role(&mut tx, organization, operator).await?;
        let others = other_admins(&mut tx, organization, operator).await?;
        self.rules.change_member(current, Some(role), others)?;
        sqlx::query(
            "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND operator_id = $2",
        )
        .bind(organization)
        .bind(operator)
        .bind(role)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_member(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let current = locked_role(&mut tx, organization, operator).await?;
        let others = other_admins(&mut tx, organization, operator).await?;
        self.rules.change_member(current, None, others)?;
        let assigned: Vec<ConversationId> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE organization_id = $1 AND assignee_id = $2",
        )
        .bind(organization)
        .bind(operator)
        .fetch_all(&mut *tx)
        .await?;
        // Their conversations become unassigned, each as the rules say.
        for conversation in assigned {
            let read = state_in(&mut tx, organization, conversation).await?;
            let command = Command::Assign(None);
            apply(
                &mut tx,
                Decided::change(self.rules.as_ref(), false, read, command, now)?,
            )
            .await?;
        }
        sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND operator_id = $2")
            .bind(organization)
            .bind(operator)
            .execute(&mut *tx)
            .await?;
        self.commit_then_place(tx, organization).await
    }

    async fn api_keys(&self, organization: OrganizationId) -> StoreResult<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {API_KEY} FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organization)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::api_key)
            .collect()
    }

    async fn create_api_key(&self, key: NewApiKey) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_api_key(&mut tx, &key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_api_key(&self, organization: OrganizationId, id: ApiKeyId) -> StoreResult<()> {
        changed_one(
            sqlx::query("DELETE FROM api_keys WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(organization)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn api_key_organization(
        &self,
        key: &SecretHash,
    ) -> StoreResult<Option<(OrganizationId, ApiKeyId)>> {
        Ok(
            sqlx::query_as("SELECT organization_id, id FROM api_keys WHERE key_hash = $1")
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
