//! Operator accounts, memberships, invitations, sessions and API keys on
//! SQLite.

use async_trait::async_trait;
use echo_protocol::team::{ApiKey, Membership, OperatorRole, TeamMember};
use echo_protocol::{ApiKeyId, ConversationId, OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::effects::{apply, state_in};
use super::{change_one, query_all, query_first, SqliteStore};
use crate::secrets::SecretHash;
use crate::store::effects::{Command, Decided};
use crate::store::rows::{
    self, Row, API_KEY, OPERATOR_ACCOUNT, OPERATOR_SESSION, SESSION_ORGANIZATION_JOIN, TEAM_MEMBER,
};
use crate::store::{
    Invitation, Joiner, NewApiKey, NewInvitation, NewOperatorSession, OperatorAccount,
    OperatorSession, StoreError, StoreResult, TeamStore,
};

/// A new account, confirmed now when `email_verified` says so.
pub(super) fn insert_operator(
    conn: &Connection,
    account: &OperatorAccount,
    now: Timestamp,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO operators (id, email, name, password_hash, created_at, email_verified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        account.id,
        account.email,
        account.name,
        account.password_hash,
        now,
        account.email_verified.then_some(now)
    ])?;
    Ok(())
}

pub(super) fn insert_membership(
    conn: &Connection,
    organization: OrganizationId,
    operator: OperatorId,
    role: OperatorRole,
    now: Timestamp,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO memberships (organization_id, operator_id, role, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    )?
    .execute(params![organization, operator, role, now])?;
    Ok(())
}

pub(super) fn insert_api_key(conn: &Connection, key: &NewApiKey) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO api_keys (id, organization_id, name, key_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        key.id,
        key.organization_id,
        key.name,
        key.key_hash.as_str(),
        key.created_at
    ])?;
    Ok(())
}

/// How many admins the organization has besides `operator`.
fn other_admins(
    conn: &Connection,
    organization: OrganizationId,
    operator: OperatorId,
) -> StoreResult<u64> {
    let others: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM memberships
             WHERE organization_id = ?1 AND role = 'admin' AND operator_id <> ?2",
        )?
        .query_row(params![organization, operator], |row| row.get(0))?;
    Ok(others.max(0) as u64)
}

fn role_in(
    conn: &Connection,
    organization: OrganizationId,
    operator: OperatorId,
) -> StoreResult<Option<OperatorRole>> {
    query_first(
        conn,
        "SELECT role FROM memberships WHERE organization_id = ?1 AND operator_id = ?2",
        params![organization, operator],
        |row| row.col(0),
    )
}

#[async_trait]
impl TeamStore for SqliteStore {
    async fn operator_by_email(&self, email: &str) -> StoreResult<Option<OperatorAccount>> {
        let email = email.to_owned();
        self.read(move |conn| {
            query_first(
                conn,
                &format!("SELECT {OPERATOR_ACCOUNT} FROM operators WHERE email = ?1"),
                [email],
                |row| rows::operator_account(row),
            )
        })
        .await
    }

    async fn operator_account(&self, id: OperatorId) -> StoreResult<Option<OperatorAccount>> {
        self.read(move |conn| {
            query_first(
                conn,
                &format!("SELECT {OPERATOR_ACCOUNT} FROM operators WHERE id = ?1"),
                [id],
                |row| rows::operator_account(row),
            )
        })
        .await
    }

    async fn memberships(&self, operator: OperatorId) -> StoreResult<Vec<Membership>> {
        self.read(move |conn| {
            query_all(
                conn,
                "SELECT o.id, o.name, m.role FROM memberships m
                 JOIN organizations o ON o.id = m.organization_id
                 WHERE m.operator_id = ?1 ORDER BY o.name, o.id",
                [operator],
                |row| rows::membership(row),
            )
        })
        .await
    }

    async fn role_of(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
    ) -> StoreResult<Option<OperatorRole>> {
        self.read(move |conn| role_in(conn, organization, operator))
            .await
    }

    async fn create_invitation(&self, invitation: NewInvitation) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO invitations
                 (id, organization_id, email, role, token_hash, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                invitation.id,
                invitation.organization_id,
                invitation.email,
                invitation.role,
                invitation.token_hash.as_str(),
                invitation.created_at,
                invitation.expires_at
            ])?;
            Ok(())
        })
        .await
    }

    async fn invitation(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<Invitation>> {
        let token = token.clone();
        self.read(move |conn| {
            query_first(
                conn,
                "SELECT id, organization_id, email, role FROM invitations
                 WHERE token_hash = ?1 AND accepted_at IS NULL AND expires_at > ?2",
                params![token.as_str(), now],
                |row| {
                    Ok(Invitation {
                        id: row.col(0)?,
                        organization_id: row.col(1)?,
                        email: row.col(2)?,
                        role: row.col(3)?,
                    })
                },
            )
        })
        .await
    }

    async fn accept_invitation(
        &self,
        token: &SecretHash,
        now: Timestamp,
        joiner: Joiner,
    ) -> StoreResult<OperatorId> {
        let token = token.clone();
        self.write(move |conn| {
            let (organization, role): (OrganizationId, OperatorRole) = conn
                .prepare_cached(
                    "UPDATE invitations SET accepted_at = ?2
                     WHERE token_hash = ?1 AND accepted_at IS NULL AND expires_at > ?2
                     RETURNING organization_id, role",
                )?
                .query_row(params![token.as_str(), now], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?
                .ok_or(StoreError::NotFound)?;
            let operator = match joiner {
                Joiner::Existing(id) => id,
                Joiner::New(account) => {
                    insert_operator(conn, &account, now)?;
                    account.id
                }
            };
            insert_membership(conn, organization, operator, role, now)?;
            Ok(operator)
        })
        .await
    }

    async fn create_operator_session(&self, session: NewOperatorSession) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO operator_sessions
                 (id_hash, operator_id, active_organization_id, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![
                session.id_hash.as_str(),
                session.operator_id,
                session.active_organization_id,
                session.now
            ])?;
            Ok(())
        })
        .await
    }

    async fn operator_session(
        &self,
        id_hash: &SecretHash,
        idle_since: Timestamp,
    ) -> StoreResult<Option<OperatorSession>> {
        let id_hash = id_hash.clone();
        self.read(move |conn| {
            query_first(
                conn,
                &format!(
                    "SELECT {OPERATOR_SESSION} FROM operator_sessions s
                     JOIN operators o ON o.id = s.operator_id
                     LEFT JOIN memberships m ON m.operator_id = s.operator_id
                          AND m.organization_id = s.active_organization_id
                     {SESSION_ORGANIZATION_JOIN}
                     WHERE s.id_hash = ?1 AND s.last_seen_at > ?2"
                ),
                params![id_hash.as_str(), idle_since],
                |row| rows::operator_session(row),
            )
        })
        .await
    }

    async fn touch_operator_session(
        &self,
        id_hash: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<()> {
        let id_hash = id_hash.clone();
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE operator_sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
                params![id_hash.as_str(), now],
            )
        })
        .await
    }

    async fn set_active_organization(
        &self,
        id_hash: &SecretHash,
        organization: OrganizationId,
    ) -> StoreResult<()> {
        let id_hash = id_hash.clone();
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE operator_sessions SET active_organization_id = ?2 WHERE id_hash = ?1",
                params![id_hash.as_str(), organization],
            )
        })
        .await
    }

    async fn delete_operator_session(&self, id_hash: &SecretHash) -> StoreResult<()> {
        let id_hash = id_hash.clone();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM operator_sessions WHERE id_hash = ?1")?
                .execute([id_hash.as_str()])?;
            Ok(())
        })
        .await
    }

    async fn set_password(&self, operator: OperatorId, password_hash: String) -> StoreResult<()> {
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE operators SET password_hash = ?2 WHERE id = ?1",
                params![operator, password_hash],
            )?;
            conn.prepare_cached("DELETE FROM operator_sessions WHERE operator_id = ?1")?
                .execute([operator])?;
            Ok(())
        })
        .await
    }

    async fn team(&self, organization: OrganizationId) -> StoreResult<Vec<TeamMember>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {TEAM_MEMBER} FROM memberships m
                     JOIN operators o ON o.id = m.operator_id
                     WHERE m.organization_id = ?1 ORDER BY o.name, o.id"
                ),
                [organization],
                |row| rows::team_member(row),
            )
        })
        .await
    }

    async fn set_role(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        role: OperatorRole,
    ) -> StoreResult<()> {
        let rules = self.rules.clone();
        self.write(move |conn| {
            let current = role_in(conn, organization, operator)?.ok_or(StoreError::NotFound)?;
            let others = other_admins(conn, organization, operator)?;
            rules.change_member(current, Some(role), others)?;
            change_one(
                conn,
                "UPDATE memberships SET role = ?3 WHERE organization_id = ?1 AND operator_id = ?2",
                params![organization, operator, role],
            )
        })
        .await
    }

    async fn remove_member(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let current = role_in(conn, organization, operator)?.ok_or(StoreError::NotFound)?;
            rules.change_member(current, None, other_admins(conn, organization, operator)?)?;
            // Their conversations become unassigned, each as the rules say.
            let assigned: Vec<ConversationId> = query_all(
                conn,
                "SELECT id FROM conversations WHERE organization_id = ?1 AND assignee_id = ?2",
                params![organization, operator],
                |row| row.col(0),
            )?;
            let mut events = Vec::with_capacity(assigned.len());
            for conversation in assigned {
                let read = state_in(conn, organization, conversation)?;
                let command = Command::Assign(None);
                events.extend(apply(
                    conn,
                    Decided::change(rules.as_ref(), false, read, command, now)?,
                )?);
            }
            change_one(
                conn,
                "DELETE FROM memberships WHERE organization_id = ?1 AND operator_id = ?2",
                params![organization, operator],
            )?;
            Ok(((), events))
        })
        .await
    }

    async fn api_keys(&self, organization: OrganizationId) -> StoreResult<Vec<ApiKey>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {API_KEY} FROM api_keys WHERE organization_id = ?1
                     ORDER BY created_at, id"
                ),
                [organization],
                |row| rows::api_key(row),
            )
        })
        .await
    }

    async fn create_api_key(&self, key: NewApiKey) -> StoreResult<()> {
        self.write(move |conn| insert_api_key(conn, &key)).await
    }

    async fn delete_api_key(&self, organization: OrganizationId, id: ApiKeyId) -> StoreResult<()> {
        self.write(move |conn| {
            change_one(
                conn,
                "DELETE FROM api_keys WHERE id = ?1 AND organization_id = ?2",
                params![id, organization],
            )
        })
        .await
    }

    async fn api_key_organization(
        &self,
        key: &SecretHash,
    ) -> StoreResult<Option<(OrganizationId, ApiKeyId)>> {
        let key = key.clone();
        self.read(move |conn| {
            query_first(
                conn,
                "SELECT organization_id, id FROM api_keys WHERE key_hash = ?1",
                [key.as_str()],
                |row| Ok((row.col(0)?, row.col(1)?)),
            )
        })
        .await
    }
}
