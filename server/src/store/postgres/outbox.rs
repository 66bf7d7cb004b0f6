//! The outbox on PostgreSQL: writing a mail, and the address
//! confirmations (see the SQLite file of the same name; the rule is
//! the mail module's).

use echo_protocol::{OrganizationId, Timestamp};

use super::{PostgresStore, Tx};
use crate::secrets::SecretHash;
use crate::store::mail::{ConfirmationRequest, NewMail};
use crate::store::StoreResult;

pub(super) async fn insert_mail(tx: &mut Tx, mail: &NewMail) -> StoreResult<()> {
    // Held was decided before this transaction; the address may have
    // confirmed since, or be confirming now. The confirmation's row, read
    // locked, settles it: a confirmation committed first is seen here, and
    // one that comes after waits for this commit and then releases this
    // mail with the rest (two replicas lost a mail between them otherwise).
    // An update lock, not a share lock: the same transaction may go on to
    // renew the request on that row, and two sharing it would deadlock.
    let held = mail.held
        && !sqlx::query_scalar::<_, bool>(
            "SELECT confirmed_at IS NOT NULL FROM mail_confirmations
             WHERE organization_id = $1 AND email = lower($2) FOR UPDATE",
        )
        .bind(mail.organization)
        .bind(&mail.to)
        .fetch_optional(&mut **tx)
        .await?
        .unwrap_or(false);
    sqlx::query(
        "INSERT INTO mail_outbox (id, organization_id, conversation_id, kind, to_address,
             from_name, subject, text_body, html_body, unsubscribe_url, created_at,
             next_attempt_at, held)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
    )
    .bind(&mail.id)
    .bind(mail.organization)
    .bind(mail.conversation)
    .bind(mail.kind.as_str())
    .bind(&mail.to)
    .bind(&mail.from_name)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(mail.unsubscribe.as_ref().map(|(url, _)| url))
    .bind(mail.created_at)
    .bind(held)
    .execute(&mut **tx)
    .await?;
    if let Some((_, token)) = &mail.unsubscribe {
        sqlx::query(
            "INSERT INTO unsubscribe_tokens (token_hash, organization_id, email, created_at)
             VALUES ($1, $2, lower($3), $4)",
        )
        .bind(token.as_str())
        .bind(mail.organization)
        .bind(&mail.to)
        .bind(mail.created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Records the request and queues its mail, unless the address was asked
/// since `once_since` or has confirmed already.
pub(super) async fn request(tx: &mut Tx, request: &ConfirmationRequest) -> StoreResult<()> {
    let mail = &request.mail;
    let asked = sqlx::query(
        "INSERT INTO mail_confirmations (organization_id, email, token_hash, requested_at)
         VALUES ($1, lower($2), $3, $4)
         ON CONFLICT (organization_id, email) DO UPDATE SET
             token_hash = excluded.token_hash, requested_at = excluded.requested_at
         WHERE mail_confirmations.requested_at < $5
           AND mail_confirmations.confirmed_at IS NULL",
    )
    .bind(mail.organization)
    .bind(&mail.to)
    .bind(request.token.as_str())
    .bind(mail.created_at)
    .bind(request.once_since)
    .execute(&mut **tx)
    .await?;
    if asked.rows_affected() > 0 {
        insert_mail(tx, mail).await?;
    }
    Ok(())
}

impl PostgresStore {
    pub(super) async fn confirmed(
        &self,
        organization: OrganizationId,
        email: &str,
    ) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM mail_confirmations
             WHERE organization_id = $1 AND email = lower($2) AND confirmed_at IS NOT NULL)",
        )
        .bind(organization)
        .bind(email)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Confirms the token's address and releases the mail held for it.
    pub(super) async fn confirm(
        &self,
        token: &SecretHash,
        valid_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let target: Option<(OrganizationId, String)> = sqlx::query_as(
            "UPDATE mail_confirmations SET confirmed_at = COALESCE(confirmed_at, $3)
             WHERE token_hash = $1 AND requested_at >= $2
             RETURNING organization_id, email",
        )
        .bind(token.as_str())
        .bind(valid_since)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((organization, email)) = target else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE mail_outbox SET held = FALSE, next_attempt_at = $3
             WHERE organization_id = $1 AND lower(to_address) = $2 AND held",
        )
        .bind(organization)
        .bind(email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn drop_held(&self, before: Timestamp) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM mail_outbox WHERE held AND created_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
