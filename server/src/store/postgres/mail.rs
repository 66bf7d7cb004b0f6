//! Mail notifications on PostgreSQL. Notices and outbox rows are leased
//! with `FOR UPDATE SKIP LOCKED`, so replicas split the work and never
//! decide or send the same one twice.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use echo_protocol::{ConversationId, OperatorId, OrganizationId, Timestamp};
use sqlx::AssertSqlSafe;

use super::outbox::{self, insert_mail};
use super::{changed_one, PostgresStore, Tx};
use crate::secrets::SecretHash;
use crate::store::mail::{
    Audience, ClaimedNotice, ConfirmationRequest, Delivery, MailStore, NewMail, NoticeContext,
    NoticeOutcome, OutgoingMail,
};
use crate::store::mail_rows::{self, MAX_QUOTED, NOTICE_HEADER, OUTGOING, RECIPIENT};
use crate::store::rows::{self, Row};
use crate::store::StoreResult;

/// What a notice already queued for the conversation and audience
/// becomes: kept as it is (`only_first`), or re-armed (still due when it
/// was pending, due now when it was sent).
pub(super) fn notice_conflict(only_first: bool) -> &'static str {
    if only_first {
        "ON CONFLICT (conversation_id, audience) DO NOTHING"
    } else {
        "ON CONFLICT (conversation_id, audience) DO UPDATE SET
             due_at = CASE WHEN mail_notices.pending THEN mail_notices.due_at
                           ELSE excluded.due_at END,
             pending = TRUE, version = mail_notices.version + 1"
    }
}

/// As the SQLite `queue_notice`: in the transaction of the message.
pub(super) async fn queue_notice(
    tx: &mut Tx,
    conversation: ConversationId,
    audience: Audience,
    now: Timestamp,
    only_first: bool,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO mail_notices (conversation_id, audience, due_at) VALUES ($1, $2, $3) {}",
        notice_conflict(only_first)
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(conversation)
        .bind(audience.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const MAILABLE: &str = "SELECT NOT EXISTS (SELECT 1 FROM mail_suppressions
     WHERE email = lower($2) AND organization_id IN ($1, ''))";

impl PostgresStore {
    async fn read_notice_context(
        &self,
        notice: &ClaimedNotice,
    ) -> StoreResult<Option<NoticeContext>> {
        let sql = format!(
            "SELECT {NOTICE_HEADER} FROM conversations c
             JOIN organizations o ON o.id = c.organization_id
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             WHERE c.id = $1"
        );
        let header = sqlx::query(AssertSqlSafe(sql))
            .bind(notice.conversation)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| mail_rows::notice_header(&row))
            .transpose()?;
        let Some(header) = header else {
            return Ok(None);
        };
        let mut context = header.context;
        let conversation = notice.conversation;
        context.recipients = match notice.audience {
            Audience::Team => {
                let sql = format!(
                    "SELECT {RECIPIENT}, o.id FROM memberships m
                     JOIN operators o ON o.id = m.operator_id
                     LEFT JOIN presence p ON p.subject = 'op:' || o.id
                     LEFT JOIN mail_marks k ON k.conversation_id = $2 AND k.recipient = o.id
                     WHERE m.organization_id = $1 AND o.email_notifications
                       AND ($3::text IS NULL OR o.id = $3)
                     ORDER BY o.email"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(context.organization)
                    .bind(conversation)
                    .bind(header.assignee)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| mail_rows::recipient(row, row.col::<String>(5)?))
                    .collect::<StoreResult<Vec<_>>>()?
            }
            Audience::Mentioned => {
                // Members whom a note here mentioned and who have not read
                // it: the mark is their own, apart from the team notice's.
                let sql = format!(
                    "SELECT {RECIPIENT}, 'mention:' || o.id FROM memberships m
                     JOIN operators o ON o.id = m.operator_id
                     LEFT JOIN presence p ON p.subject = 'op:' || o.id
                     LEFT JOIN mail_marks k
                         ON k.conversation_id = $2 AND k.recipient = 'mention:' || o.id
                     WHERE m.organization_id = $1 AND o.email_notifications
                       AND EXISTS (SELECT 1 FROM mentions n WHERE n.conversation_id = $2
                                   AND n.operator_id = o.id AND n.read_at IS NULL)
                     ORDER BY o.email"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(context.organization)
                    .bind(conversation)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| mail_rows::recipient(row, row.col::<String>(5)?))
                    .collect::<StoreResult<Vec<_>>>()?
            }
            Audience::Visitor | Audience::Rating => {
                let mailable: bool = sqlx::query_scalar(MAILABLE)
                    .bind(context.organization)
                    .bind(&context.visitor_email)
                    .fetch_one(&self.pool)
                    .await?;
                if !mailable || context.visitor_email.is_empty() {
                    Vec::new()
                } else {
                    let sql = format!(
                        "SELECT {RECIPIENT} FROM contact_sessions s
                         LEFT JOIN presence p ON p.subject = 'vs:' || s.id_hash
                         LEFT JOIN mail_marks k
                             ON k.conversation_id = $2 AND k.recipient = 'visitor'
                         WHERE s.id_hash = $1"
                    );
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(&header.session_hash)
                        .bind(conversation)
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map(|row| mail_rows::recipient(row, "visitor".to_owned()))
                        .collect::<StoreResult<Vec<_>>>()?
                }
            }
        };
        let after = mail_rows::lowest_covered(&context);
        let role = mail_rows::told_role(notice.audience);
        let sql = format!(
            "SELECT seq, {} FROM messages
             WHERE conversation_id = $1 AND role = $2 AND seq > $3
             ORDER BY seq DESC LIMIT $4",
            rows::MESSAGE
        );
        let mut messages = sqlx::query(AssertSqlSafe(sql))
            .bind(conversation)
            .bind(role)
            .bind(after)
            .bind(i64::from(MAX_QUOTED))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.col::<i64>(0)?, rows::message(row, 1)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        messages.reverse();
        context.messages = messages;
        Ok(Some(context))
    }
}

#[async_trait]
impl MailStore for PostgresStore {
    fn enable_notices(&self) {
        self.notices.store(true, Ordering::Relaxed);
    }

    async fn set_presence(&self, subject: String, at: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO presence (subject, last_seen) VALUES ($1, $2)
             ON CONFLICT (subject) DO UPDATE
             SET last_seen = GREATEST(presence.last_seen, excluded.last_seen)",
        )
        .bind(subject)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_notices(
        &self,
        now: Timestamp,
        lease: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedNotice>> {
        let rows: Vec<(ConversationId, String, i64)> = sqlx::query_as(
            "UPDATE mail_notices n SET locked_until = $2
             FROM (SELECT conversation_id, audience FROM mail_notices
                   WHERE pending AND due_at <= $1 AND locked_until <= $1
                   ORDER BY due_at LIMIT $3
                   FOR UPDATE SKIP LOCKED) due
             WHERE n.conversation_id = due.conversation_id AND n.audience = due.audience
             RETURNING n.conversation_id, n.audience, n.version",
        )
        .bind(now)
        .bind(lease)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(conversation, audience, version)| {
                Ok(ClaimedNotice {
                    conversation,
                    audience: Audience::parse(&audience)
                        .ok_or_else(|| anyhow::anyhow!("unknown audience {audience}"))?,
                    version,
                    lease,
                })
            })
            .collect()
    }

    async fn notice_context(&self, notice: &ClaimedNotice) -> StoreResult<Option<NoticeContext>> {
        self.read_notice_context(notice).await
    }

    async fn complete_notice(
        &self,
        notice: &ClaimedNotice,
        outcome: NoticeOutcome,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM mail_notices
             WHERE conversation_id = $1 AND audience = $2 AND locked_until = $3
             FOR UPDATE",
        )
        .bind(notice.conversation)
        .bind(notice.audience.as_str())
        .bind(notice.lease)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(version) = version else {
            // The lease ran out and another replica took the notice over.
            return Ok(());
        };
        for mail in &outcome.mails {
            insert_mail(&mut tx, mail).await?;
        }
        if let Some(request) = &outcome.confirmation {
            outbox::request(&mut tx, request).await?;
        }
        if let Some(link) = &outcome.rating_link {
            sqlx::query(
                "INSERT INTO rating_tokens (token_hash, conversation_id, resolution, expires_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(link.token_hash.as_str())
            .bind(notice.conversation)
            .bind(link.resolution)
            .bind(link.expires_at)
            .execute(&mut *tx)
            .await?;
        }
        for (recipient, covered) in &outcome.marks {
            sqlx::query(
                "INSERT INTO mail_marks (conversation_id, recipient, covered_seq, last_mailed_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (conversation_id, recipient) DO UPDATE SET
                     covered_seq = excluded.covered_seq, last_mailed_at = excluded.last_mailed_at",
            )
            .bind(notice.conversation)
            .bind(recipient)
            .bind(covered)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let (pending, due) = mail_rows::settled(version != notice.version, outcome.next_due, now);
        sqlx::query(
            "UPDATE mail_notices SET pending = $3, due_at = $4, locked_until = 0
             WHERE conversation_id = $1 AND audience = $2",
        )
        .bind(notice.conversation)
        .bind(notice.audience.as_str())
        .bind(pending)
        .bind(due)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn queue_transcript(
        &self,
        mail: NewMail,
        since: Timestamp,
        max: u32,
        confirmation: Option<ConfirmationRequest>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // Serializes concurrent requests for one conversation's transcript.
        sqlx::query("SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE")
            .bind(mail.conversation)
            .execute(&mut *tx)
            .await?;
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_outbox
             WHERE conversation_id = $1 AND kind = 'transcript' AND created_at >= $2",
        )
        .bind(mail.conversation)
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        if sent >= i64::from(max) {
            return Ok(false);
        }
        insert_mail(&mut tx, &mail).await?;
        if let Some(request) = &confirmation {
            outbox::request(&mut tx, request).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn address_confirmed(
        &self,
        organization: OrganizationId,
        email: &str,
    ) -> StoreResult<bool> {
        self.confirmed(organization, email).await
    }

    async fn confirm_address(
        &self,
        token: &SecretHash,
        valid_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.confirm(token, valid_since, now).await
    }

    async fn drop_held_mail(&self, before: Timestamp) -> StoreResult<u64> {
        self.drop_held(before).await
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutgoingMail>> {
        let sql = format!(
            "UPDATE mail_outbox SET locked_until = $2
             WHERE id IN (SELECT id FROM mail_outbox
                 WHERE sent_at IS NULL AND failed_at IS NULL AND NOT held
                   AND next_attempt_at <= $1 AND locked_until <= $1
                 ORDER BY next_attempt_at LIMIT $3
                 FOR UPDATE SKIP LOCKED)
             RETURNING {OUTGOING}"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(lease)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| mail_rows::outgoing(row, lease))
            .collect()
    }

    async fn finish_mail(
        &self,
        mail: &OutgoingMail,
        delivery: Delivery,
        now: Timestamp,
    ) -> StoreResult<()> {
        let held = "id = $1 AND locked_until = $2 AND sent_at IS NULL";
        let mut tx = self.begin().await?;
        match delivery {
            Delivery::Sent => {
                let sql = format!(
                    "UPDATE mail_outbox SET sent_at = $3, attempts = attempts + 1,
                         text_body = '', html_body = '', unsubscribe_url = NULL,
                         locked_until = 0, last_error = NULL
                     WHERE {held}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(&mail.id)
                    .bind(mail.lease)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            Delivery::Retry { at, error } => {
                let sql = format!(
                    "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $3,
                         locked_until = 0, last_error = $4
                     WHERE {held}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(&mail.id)
                    .bind(mail.lease)
                    .bind(at)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
            }
            Delivery::Bounced { error } => {
                sqlx::query(
                    "INSERT INTO mail_suppressions (organization_id, email, reason, created_at)
                     VALUES ('', lower($1), 'bounced', $2) ON CONFLICT DO NOTHING",
                )
                .bind(&mail.to)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let sql = format!(
                    "UPDATE mail_outbox SET failed_at = $3, attempts = attempts + 1,
                         text_body = '', html_body = '', unsubscribe_url = NULL,
                         locked_until = 0, last_error = $4
                     WHERE {held}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(&mail.id)
                    .bind(mail.lease)
                    .bind(now)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn unsubscribe(&self, token: &SecretHash, now: Timestamp) -> StoreResult<bool> {
        let stored = sqlx::query(
            "INSERT INTO mail_suppressions (organization_id, email, reason, created_at)
             SELECT organization_id, email, 'unsubscribed', $2 FROM unsubscribe_tokens
             WHERE token_hash = $1
             ON CONFLICT DO NOTHING",
        )
        .bind(token.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if stored > 0 {
            return Ok(true);
        }
        let known: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM unsubscribe_tokens WHERE token_hash = $1")
                .bind(token.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(known.is_some())
    }

    async fn mailable(&self, organization: OrganizationId, email: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(MAILABLE)
            .bind(organization)
            .bind(email)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn email_notifications(&self, operator: OperatorId) -> StoreResult<bool> {
        let on: Option<bool> =
            sqlx::query_scalar("SELECT email_notifications FROM operators WHERE id = $1")
                .bind(operator)
                .fetch_optional(&self.pool)
                .await?;
        Ok(on.unwrap_or(false))
    }

    async fn set_email_notifications(&self, operator: OperatorId, on: bool) -> StoreResult<()> {
        changed_one(
            sqlx::query("UPDATE operators SET email_notifications = $2 WHERE id = $1")
                .bind(operator)
                .bind(on)
                .execute(&self.pool)
                .await?,
        )
    }
}
