//! The outbox on SQLite: writing a mail, and the address confirmations
//! behind "mail carrying what a visitor wrote goes only to an address that
//! confirmed it" (the rule is the mail module's; this file only stores its
//! outcome). Deciding notices and sending are `mail.rs`'s.

use echo_protocol::{OrganizationId, Timestamp};
use rusqlite::{params, Connection};

use crate::secrets::SecretHash;
use crate::store::mail::{ConfirmationRequest, NewMail};
use crate::store::StoreResult;

pub(super) fn insert_mail(conn: &Connection, mail: &NewMail) -> StoreResult<()> {
    // Held was decided before this write; the address may have confirmed
    // since (its confirmation released what was held then, not this).
    let held = mail.held && !confirmed(conn, mail.organization, &mail.to)?;
    conn.prepare_cached(
        "INSERT INTO mail_outbox (id, organization_id, conversation_id, kind, to_address,
             from_name, subject, text_body, html_body, unsubscribe_url, created_at,
             next_attempt_at, held)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
    )?
    .execute(params![
        mail.id,
        mail.organization,
        mail.conversation,
        mail.kind.as_str(),
        mail.to,
        mail.from_name,
        mail.subject,
        mail.text,
        mail.html,
        mail.unsubscribe.as_ref().map(|(url, _)| url),
        mail.created_at,
        held,
    ])?;
    if let Some((_, token)) = &mail.unsubscribe {
        conn.prepare_cached(
            "INSERT INTO unsubscribe_tokens (token_hash, organization_id, email, created_at)
             VALUES (?1, ?2, lower(?3), ?4)",
        )?
        .execute(params![
            token.as_str(),
            mail.organization,
            mail.to,
            mail.created_at
        ])?;
    }
    Ok(())
}

/// Records the request and queues its mail, unless the address was asked
/// since `once_since` or has confirmed already.
pub(super) fn request(conn: &Connection, request: &ConfirmationRequest) -> StoreResult<()> {
    let mail = &request.mail;
    let asked = conn
        .prepare_cached(
            "INSERT INTO mail_confirmations (organization_id, email, token_hash, requested_at)
             VALUES (?1, lower(?2), ?3, ?4)
             ON CONFLICT (organization_id, email) DO UPDATE SET
                 token_hash = excluded.token_hash, requested_at = excluded.requested_at
             WHERE mail_confirmations.requested_at < ?5
               AND mail_confirmations.confirmed_at IS NULL",
        )?
        .execute(params![
            mail.organization,
            mail.to,
            request.token.as_str(),
            mail.created_at,
            request.once_since
        ])?;
    if asked > 0 {
        insert_mail(conn, mail)?;
    }
    Ok(())
}

pub(super) fn confirmed(
    conn: &Connection,
    organization: OrganizationId,
    email: &str,
) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM mail_confirmations
             WHERE organization_id = ?1 AND email = lower(?2) AND confirmed_at IS NOT NULL)",
        )?
        .query_row(params![organization, email], |r| r.get(0))?)
}

/// Confirms the token's address and releases the mail held for it.
pub(super) fn confirm(
    conn: &Connection,
    token: &SecretHash,
    valid_since: Timestamp,
    now: Timestamp,
) -> StoreResult<bool> {
    let target: Option<(OrganizationId, String)> = super::query_first(
        conn,
        "UPDATE mail_confirmations SET confirmed_at = COALESCE(confirmed_at, ?3)
         WHERE token_hash = ?1 AND requested_at >= ?2
         RETURNING organization_id, email",
        params![token.as_str(), valid_since, now],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let Some((organization, email)) = target else {
        return Ok(false);
    };
    conn.prepare_cached(
        "UPDATE mail_outbox SET held = 0, next_attempt_at = ?3
         WHERE organization_id = ?1 AND lower(to_address) = ?2 AND held = 1",
    )?
    .execute(params![organization, email, now])?;
    Ok(true)
}

pub(super) fn drop_held(conn: &Connection, before: Timestamp) -> StoreResult<u64> {
    Ok(conn
        .prepare_cached("DELETE FROM mail_outbox WHERE held = 1 AND created_at < ?1")?
        .execute([before])? as u64)
}
