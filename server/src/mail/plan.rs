//! Deciding a notice: who gets a mail now, with which messages, and when
//! to look again. Pure, so the rules are tested without a clock or SMTP.
//!
//! A recipient has seen a message if their console or widget had a push
//! stream open at or after the time it was written (`last_seen`, kept
//! fresh while a stream is open). They are mailed the messages they have
//! not seen and no mail covered yet, once they have been away for the
//! presence window, and at most once per batching window; until then the
//! notice waits, and messages arriving meanwhile join that mail.

use std::time::Duration;

use echo_protocol::messages::Message;
use echo_protocol::Timestamp;

use crate::store::mail::NoticeContext;

/// The two waiting times (`ECHO_NOTIFY_AFTER_SECS`, `ECHO_NOTIFY_BATCH_SECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyWindows {
    /// How long someone must have been away before they are mailed.
    pub away: Duration,
    /// At most one mail per conversation and recipient in this time.
    pub batch: Duration,
}

impl Default for NotifyWindows {
    fn default() -> Self {
        Self {
            away: Duration::from_secs(120),
            batch: Duration::from_secs(600),
        }
    }
}

/// One mail to send now.
#[derive(Debug, Clone, PartialEq)]
pub struct Due<'c> {
    /// Index into the context's recipients.
    pub recipient: usize,
    pub messages: Vec<&'c Message>,
    /// The highest message position the mail covers.
    pub covered_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision<'c> {
    pub mails: Vec<Due<'c>>,
    pub next_due: Option<Timestamp>,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

pub fn decide(context: &NoticeContext, now: Timestamp, windows: NotifyWindows) -> Decision<'_> {
    let mut decision = Decision::default();
    let mut wait = |at: i64| {
        let at = Timestamp(at);
        decision.next_due = Some(decision.next_due.map_or(at, |due| due.min(at)));
    };
    let mut mails = Vec::new();
    for (index, recipient) in context.recipients.iter().enumerate() {
        let seen_until = recipient.last_seen.map_or(i64::MIN, |t| t.millis());
        let unseen: Vec<&(i64, Message)> = context
            .messages
            .iter()
            .filter(|(seq, message)| {
                *seq > recipient.covered_seq && message.created_at.millis() > seen_until
            })
            .collect();
        let Some(covered_seq) = unseen.iter().map(|(seq, _)| *seq).max() else {
            continue;
        };
        let back_at = seen_until.saturating_add(millis(windows.away));
        if now.millis() < back_at {
            wait(back_at);
            continue;
        }
        if let Some(mailed) = recipient.last_mailed_at {
            let next = mailed.millis().saturating_add(millis(windows.batch));
            if now.millis() < next {
                wait(next);
                continue;
            }
        }
        mails.push(Due {
            recipient: index,
            messages: unseen.into_iter().map(|(_, message)| message).collect(),
            covered_seq,
        });
    }
    decision.mails = mails;
    decision
}

#[cfg(test)]
mod tests {
    use echo_protocol::messages::MessageRole;
    use echo_protocol::{OrganizationId, Timestamp};
    use proptest::prelude::*;

    use super::{decide, NotifyWindows};
    use crate::store::mail::{NoticeContext, NoticeRecipient};
    use crate::store::new_message;

    const WINDOWS: NotifyWindows = NotifyWindows {
        away: std::time::Duration::from_secs(120),
        batch: std::time::Duration::from_secs(600),
    };

    fn context(recipients: Vec<NoticeRecipient>, times: &[i64]) -> NoticeContext {
        NoticeContext {
            organization: OrganizationId::from_uuid(uuid::Uuid::nil()),
            organization_name: "Acme".into(),
            visitor_name: "Ana".into(),
            visitor_email: "ana@example.com".into(),
            visitor_page: None,
            visitor_trusted: true,
            allowed_origins: Vec::new(),
            business_hours: None,
            recipients,
            messages: times
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let message = new_message(MessageRole::Visitor, format!("m{i}"), Timestamp(*t));
                    (i as i64 + 1, message)
                })
                .collect(),
        }
    }

    fn recipient(last_seen: Option<i64>, covered: i64, mailed: Option<i64>) -> NoticeRecipient {
        NoticeRecipient {
            key: "op".into(),
            email: "op@example.com".into(),
            name: "Op".into(),
            last_seen: last_seen.map(Timestamp),
            covered_seq: covered,
            last_mailed_at: mailed.map(Timestamp),
        }
    }

    #[test]
    fn someone_away_long_enough_is_mailed_at_once() {
        let ctx = context(vec![recipient(Some(0), 0, None)], &[200_000]);
        let decision = decide(&ctx, Timestamp(200_001), WINDOWS);
        assert_eq!(decision.mails.len(), 1);
        assert_eq!(decision.mails[0].covered_seq, 1);
        assert_eq!(decision.next_due, None);
    }

    #[test]
    fn someone_just_gone_is_mailed_when_the_window_ends() {
        let ctx = context(vec![recipient(Some(100_000), 0, None)], &[150_000]);
        let decision = decide(&ctx, Timestamp(150_001), WINDOWS);
        assert!(decision.mails.is_empty());
        assert_eq!(decision.next_due, Some(Timestamp(220_000)));
    }

    #[test]
    fn messages_seen_live_are_not_mailed() {
        let ctx = context(vec![recipient(Some(300_000), 0, None)], &[100_000, 200_000]);
        let decision = decide(&ctx, Timestamp(900_000), WINDOWS);
        assert_eq!(decision, Default::default());
    }

    #[test]
    fn batching_holds_the_next_mail_back() {
        let ctx = context(vec![recipient(None, 1, Some(500_000))], &[400_000, 600_000]);
        let decision = decide(&ctx, Timestamp(700_000), WINDOWS);
        assert!(decision.mails.is_empty());
        assert_eq!(decision.next_due, Some(Timestamp(1_100_000)));
        let later = decide(&ctx, Timestamp(1_100_000), WINDOWS);
        assert_eq!(later.mails[0].messages.len(), 1);
        assert_eq!(later.mails[0].messages[0].text, "m1");
    }

    proptest! {
        /// Whatever the state, a mail never quotes a message the
        /// recipient saw or a mail already covered, never goes to someone
        /// present within the window or mailed within the batch window, and
        /// a wait is always in the future.
        #[test]
        fn mails_respect_presence_and_batching(
            seen in proptest::option::of(0i64..2_000_000),
            covered in 0i64..6,
            mailed in proptest::option::of(0i64..2_000_000),
            times in proptest::collection::vec(0i64..2_000_000, 0..6),
            now in 0i64..3_000_000,
        ) {
            let ctx = context(vec![recipient(seen, covered, mailed)], &times);
            let decision = decide(&ctx, Timestamp(now), WINDOWS);
            for mail in &decision.mails {
                prop_assert!(!mail.messages.is_empty());
                prop_assert!(seen.is_none_or(|s| now - s >= 120_000));
                prop_assert!(mailed.is_none_or(|m| now - m >= 600_000));
                prop_assert!(mail.covered_seq > covered);
                for message in &mail.messages {
                    prop_assert!(seen.is_none_or(|s| message.created_at.millis() > s));
                }
            }
            if let Some(due) = decision.next_due {
                prop_assert!(due.millis() > now);
            }
        }
    }
}
