//! Mail notifications on SQLite: presence, notices, the outbox. One writer
//! thread means leases never race here; they exist for PostgreSQL's
//! replicas and keep both backends' behaviour the same.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use echo_protocol::{ConversationId, OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::outbox::{self, insert_mail};
use super::{query_all, query_first, SqliteStore};
use crate::secrets::SecretHash;
use crate::store::mail::{
    Audience, ClaimedNotice, ConfirmationRequest, Delivery, MailStore, NewMail, NoticeContext,
    NoticeOutcome, OutgoingMail,
};
use crate::store::mail_rows::{self, MAX_QUOTED, NOTICE_HEADER, OUTGOING, RECIPIENT};
use crate::store::rows;
use crate::store::StoreResult;

/// Queues (or re-arms) the conversation's notice for `audience`, in the
/// transaction of the message that causes it. `only_first`: a notice is
/// created if the conversation never had one, an existing one is left as is.
pub(super) fn queue_notice(
    conn: &Connection,
    conversation: ConversationId,
    audience: Audience,
    now: Timestamp,
    only_first: bool,
) -> StoreResult<()> {
    let sql = if only_first {
        "INSERT INTO mail_notices (conversation_id, audience, due_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (conversation_id, audience) DO NOTHING"
    } else {
        "INSERT INTO mail_notices (conversation_id, audience, due_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (conversation_id, audience) DO UPDATE SET
             due_at = CASE WHEN pending = 1 THEN due_at ELSE excluded.due_at END,
             pending = 1, version = version + 1"
    };
    conn.prepare_cached(sql)?
        .execute(params![conversation, audience.as_str(), now])?;
    Ok(())
}

const MAILABLE: &str = "NOT EXISTS (SELECT 1 FROM mail_suppressions
     WHERE email = lower(?2) AND organization_id IN (?1, ''))";

fn notice_context(conn: &Connection, notice: &ClaimedNotice) -> StoreResult<Option<NoticeContext>> {
    let header = query_first(
        conn,
        &format!(
            "SELECT {NOTICE_HEADER} FROM conversations c
             JOIN organizations o ON o.id = c.organization_id
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             WHERE c.id = ?1"
        ),
        params![notice.conversation],
        |row| mail_rows::notice_header(row),
    )?;
    let Some(header) = header else {
        return Ok(None);
    };
    let mut context = header.context;
    let conversation = notice.conversation;
    context.recipients = match notice.audience {
        Audience::Team => query_all(
            conn,
            &format!(
                "SELECT {RECIPIENT}, o.id FROM memberships m
                 JOIN operators o ON o.id = m.operator_id
                 LEFT JOIN presence p ON p.subject = 'op:' || o.id
                 LEFT JOIN mail_marks k ON k.conversation_id = ?2 AND k.recipient = o.id
                 WHERE m.organization_id = ?1 AND o.email_notifications = 1
                   AND (?3 IS NULL OR o.id = ?3)
                 ORDER BY o.email"
            ),
            params![context.organization, conversation, header.assignee],
            |row| mail_rows::recipient(row, rows::Row::col::<String>(row, 5)?),
        )?,
        Audience::Mentioned => query_all(
            conn,
            &format!(
                "SELECT {RECIPIENT}, 'mention:' || o.id FROM memberships m
                 JOIN operators o ON o.id = m.operator_id
                 LEFT JOIN presence p ON p.subject = 'op:' || o.id
                 LEFT JOIN mail_marks k
                     ON k.conversation_id = ?2 AND k.recipient = 'mention:' || o.id
                 WHERE m.organization_id = ?1 AND o.email_notifications = 1
                   AND EXISTS (SELECT 1 FROM mentions n WHERE n.conversation_id = ?2
                               AND n.operator_id = o.id AND n.read_at IS NULL)
                 ORDER BY o.email"
            ),
            params![context.organization, conversation],
            |row| mail_rows::recipient(row, rows::Row::col::<String>(row, 5)?),
        )?,
        Audience::Visitor | Audience::Rating => {
            let mailable: bool = conn
                .prepare_cached(&format!("SELECT {MAILABLE}"))?
                .query_row(params![context.organization, context.visitor_email], |r| {
                    r.get(0)
                })?;
            if !mailable || context.visitor_email.is_empty() {
                Vec::new()
            } else {
                query_all(
                    conn,
                    &format!(
                        "SELECT {RECIPIENT} FROM contact_sessions s
                         LEFT JOIN presence p ON p.subject = 'vs:' || s.id_hash
                         LEFT JOIN mail_marks k
                             ON k.conversation_id = ?2 AND k.recipient = 'visitor'
                         WHERE s.id_hash = ?1"
                    ),
                    params![header.session_hash, conversation],
                    |row| mail_rows::recipient(row, "visitor".to_owned()),
                )?
            }
        }
    };
    let after = mail_rows::lowest_covered(&context);
    let role = mail_rows::told_role(notice.audience);
    let mut messages = query_all(
        conn,
        &format!(
            "SELECT seq, {} FROM messages
             WHERE conversation_id = ?1 AND role = ?2 AND seq > ?3
             ORDER BY seq DESC LIMIT ?4",
            rows::MESSAGE
        ),
        params![conversation, role, after, MAX_QUOTED],
        |row| Ok((rows::Row::col::<i64>(row, 0)?, rows::message(row, 1)?)),
    )?;
    messages.reverse();
    context.messages = messages;
    Ok(Some(context))
}

fn complete_notice(
    conn: &Connection,
    notice: &ClaimedNotice,
    outcome: &NoticeOutcome,
    now: Timestamp,
) -> StoreResult<()> {
    let version: Option<i64> = conn
        .prepare_cached(
            "SELECT version FROM mail_notices
             WHERE conversation_id = ?1 AND audience = ?2 AND locked_until = ?3",
        )?
        .query_row(
            params![notice.conversation, notice.audience.as_str(), notice.lease],
            |r| r.get(0),
        )
        .optional()?;
    let Some(version) = version else {
        // The lease ran out and someone else took the notice over.
        return Ok(());
    };
    for mail in &outcome.mails {
        insert_mail(conn, mail)?;
    }
    if let Some(request) = &outcome.confirmation {
        outbox::request(conn, request)?;
    }
    if let Some(link) = &outcome.rating_link {
        conn.prepare_cached(
            "INSERT INTO rating_tokens (token_hash, conversation_id, resolution, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            link.token_hash.as_str(),
            notice.conversation,
            link.resolution,
            link.expires_at
        ])?;
    }
    for (recipient, covered) in &outcome.marks {
        conn.prepare_cached(
            "INSERT INTO mail_marks (conversation_id, recipient, covered_seq, last_mailed_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conversation_id, recipient) DO UPDATE SET
                 covered_seq = excluded.covered_seq, last_mailed_at = excluded.last_mailed_at",
        )?
        .execute(params![notice.conversation, recipient, covered, now])?;
    }
    let (pending, due) = mail_rows::settled(version != notice.version, outcome.next_due, now);
    conn.prepare_cached(
        "UPDATE mail_notices SET pending = ?3, due_at = ?4, locked_until = 0
         WHERE conversation_id = ?1 AND audience = ?2",
    )?
    .execute(params![
        notice.conversation,
        notice.audience.as_str(),
        pending,
        due
    ])?;
    Ok(())
}

#[async_trait]
impl MailStore for SqliteStore {
    fn enable_notices(&self) {
        self.notices.store(true, Ordering::Relaxed);
    }

    async fn set_presence(&self, subject: String, at: Timestamp) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO presence (subject, last_seen) VALUES (?1, ?2)
                 ON CONFLICT (subject) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)",
            )?
            .execute(params![subject, at])?;
            Ok(())
        })
        .await
    }

    async fn claim_notices(
        &self,
        now: Timestamp,
        lease: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedNotice>> {
        self.write(move |conn| {
            query_all(
                conn,
                "UPDATE mail_notices SET locked_until = ?2
                 WHERE rowid IN (SELECT rowid FROM mail_notices
                     WHERE pending = 1 AND due_at <= ?1 AND locked_until <= ?1
                     ORDER BY due_at LIMIT ?3)
                 RETURNING conversation_id, audience, version",
                params![now, lease, limit],
                |row| {
                    let audience: String = row.get(1)?;
                    Ok(ClaimedNotice {
                        conversation: row.get(0)?,
                        audience: Audience::parse(&audience)
                            .ok_or_else(|| anyhow::anyhow!("unknown audience {audience}"))?,
                        version: row.get(2)?,
                        lease,
                    })
                },
            )
        })
        .await
    }

    async fn notice_context(&self, notice: &ClaimedNotice) -> StoreResult<Option<NoticeContext>> {
        let notice = notice.clone();
        self.read(move |conn| notice_context(conn, &notice)).await
    }

    async fn complete_notice(
        &self,
        notice: &ClaimedNotice,
        outcome: NoticeOutcome,
        now: Timestamp,
    ) -> StoreResult<()> {
        let notice = notice.clone();
        self.write(move |conn| complete_notice(conn, &notice, &outcome, now))
            .await
    }

    async fn queue_transcript(
        &self,
        mail: NewMail,
        since: Timestamp,
        max: u32,
        confirmation: Option<ConfirmationRequest>,
    ) -> StoreResult<bool> {
        self.write(move |conn| {
            let sent: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM mail_outbox
                     WHERE conversation_id = ?1 AND kind = 'transcript' AND created_at >= ?2",
                )?
                .query_row(params![mail.conversation, since], |r| r.get(0))?;
            if sent >= i64::from(max) {
                return Ok(false);
            }
            insert_mail(conn, &mail)?;
            if let Some(request) = &confirmation {
                outbox::request(conn, request)?;
            }
            Ok(true)
        })
        .await
    }

    async fn address_confirmed(
        &self,
        organization: OrganizationId,
        email: &str,
    ) -> StoreResult<bool> {
        let email = email.to_owned();
        self.read(move |conn| outbox::confirmed(conn, organization, &email))
            .await
    }

    async fn confirm_address(
        &self,
        token: &SecretHash,
        valid_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let token = token.clone();
        self.write(move |conn| outbox::confirm(conn, &token, valid_since, now))
            .await
    }

    async fn drop_held_mail(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |conn| outbox::drop_held(conn, before))
            .await
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutgoingMail>> {
        self.write(move |conn| {
            query_all(
                conn,
                &format!(
                    "UPDATE mail_outbox SET locked_until = ?2
                     WHERE id IN (SELECT id FROM mail_outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND held = 0
                           AND next_attempt_at <= ?1 AND locked_until <= ?1
                         ORDER BY next_attempt_at LIMIT ?3)
                     RETURNING {OUTGOING}"
                ),
                params![now, lease, limit],
                |row| mail_rows::outgoing(row, lease),
            )
        })
        .await
    }

    async fn finish_mail(
        &self,
        mail: &OutgoingMail,
        delivery: Delivery,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (id, lease, to) = (mail.id.clone(), mail.lease, mail.to.clone());
        self.write(move |conn| {
            let held = "id = ?1 AND locked_until = ?2 AND sent_at IS NULL";
            match delivery {
                Delivery::Sent => conn
                    .prepare_cached(&format!(
                        "UPDATE mail_outbox SET sent_at = ?3, attempts = attempts + 1,
                             text_body = '', html_body = '', unsubscribe_url = NULL,
                             locked_until = 0, last_error = NULL
                         WHERE {held}"
                    ))?
                    .execute(params![id, lease, now])?,
                Delivery::Retry { at, error } => conn
                    .prepare_cached(&format!(
                        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?3,
                             locked_until = 0, last_error = ?4
                         WHERE {held}"
                    ))?
                    .execute(params![id, lease, at, error])?,
                Delivery::Bounced { error } => {
                    conn.prepare_cached(
                        "INSERT INTO mail_suppressions (organization_id, email, reason, created_at)
                         VALUES ('', lower(?1), 'bounced', ?2) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![to, now])?;
                    conn.prepare_cached(&format!(
                        "UPDATE mail_outbox SET failed_at = ?3, attempts = attempts + 1,
                             text_body = '', html_body = '', unsubscribe_url = NULL,
                             locked_until = 0, last_error = ?4
                         WHERE {held}"
                    ))?
                    .execute(params![id, lease, now, error])?
                }
            };
            Ok(())
        })
        .await
    }

    async fn unsubscribe(&self, token: &SecretHash, now: Timestamp) -> StoreResult<bool> {
        let token = token.as_str().to_owned();
        self.write(move |conn| {
            let target: Option<(OrganizationId, String)> = conn
                .prepare_cached(
                    "SELECT organization_id, email FROM unsubscribe_tokens WHERE token_hash = ?1",
                )?
                .query_row([&token], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((organization, email)) = target else {
                return Ok(false);
            };
            conn.prepare_cached(
                "INSERT INTO mail_suppressions (organization_id, email, reason, created_at)
                 VALUES (?1, ?2, 'unsubscribed', ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(params![organization, email, now])?;
            Ok(true)
        })
        .await
    }

    async fn mailable(&self, organization: OrganizationId, email: &str) -> StoreResult<bool> {
        let email = email.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&format!("SELECT {MAILABLE}"))?
                .query_row(params![organization, email], |r| r.get(0))?)
        })
        .await
    }

    async fn email_notifications(&self, operator: OperatorId) -> StoreResult<bool> {
        self.read(move |conn| {
            Ok(query_first(
                conn,
                "SELECT email_notifications FROM operators WHERE id = ?1",
                [operator],
                |row| Ok(row.get::<_, bool>(0)?),
            )?
            .unwrap_or(false))
        })
        .await
    }

    async fn set_email_notifications(&self, operator: OperatorId, on: bool) -> StoreResult<()> {
        self.write(move |conn| {
            super::change_one(
                conn,
                "UPDATE operators SET email_notifications = ?2 WHERE id = ?1",
                params![operator, on],
            )
        })
        .await
    }
}
