//! Email notifications: the team hears of visitors who write while no one
//! watches the console, visitors get the replies they left before, and a
//! visitor can ask for a transcript.
//!
//! Nothing is sent from a request. A message write queues a notice in its
//! own transaction; the loop here decides due notices ([`plan`]), writes
//! the mails into the outbox in one transaction, and delivers the outbox
//! over SMTP with retries ([`smtp`]). A crash or an SMTP outage therefore
//! loses nothing, and leases keep a restart or a second replica from
//! sending a mail twice (a send that succeeds just before a crash is the
//! one case that can repeat; its Message-ID is the same both times).
//!
//! - [`account`]: operators' own mails (the email check at sign-up).
//! - [`plan`]: who is mailed what and when (pure).
//! - [`render`]: the mails' text and HTML.
//! - [`smtp`]: settings and one delivery attempt.
//! - [`presence`]: when consoles and widgets were last open.
//! - `rating`: the resolution mail that asks a visitor who left to rate.

pub mod account;
pub mod plan;
pub mod presence;
mod rating;
pub mod render;
pub mod smtp;

use std::sync::Arc;
use std::time::Duration;

use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, Timestamp};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::sync::Notify;

use crate::accounts::PublicUrl;
use crate::clock::Clock;
use crate::secrets::ConfirmationToken;
use crate::store::mail::{
    ClaimedNotice, ConfirmationRequest, Delivery, NoticeOutcome, OutgoingMail,
};
use crate::store::{Store, StoreResult};
pub use plan::NotifyWindows;
pub use smtp::SmtpSettings;

/// Mail settings: where to send, and the waiting times.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp: SmtpSettings,
    pub windows: NotifyWindows,
}

/// How long a claimed notice or outbox row stays this process's: past
/// the SMTP timeout, so a slow send is not taken over while it runs.
const NOTICE_LEASE: Duration = Duration::from_secs(60);
const MAIL_LEASE: Duration = Duration::from_secs(90);
const CLAIM_BATCH: u32 = 20;
/// Retries wait 2, 4, 8 ... seconds, never more than this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A visitor may ask for this many transcripts of a conversation a day.
pub const TRANSCRIPTS_PER_DAY: u32 = 3;
/// At most one confirmation mail goes to an address from an organization
/// in this time; its link works this long; held mail waits this long.
pub const CONFIRMATION_EVERY: Duration = Duration::from_secs(24 * 3600);
pub const CONFIRMATION_VALID: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct Mailer {
    store: Arc<dyn Store>,
    clock: Clock,
    config: MailConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    public: PublicUrl,
    wake: Notify,
    /// Delivery attempts by outcome, for `/metrics`.
    pub deliveries: crate::metrics::Outcomes,
}

fn later(now: Timestamp, by: Duration) -> Timestamp {
    Timestamp(now.millis().saturating_add(by.as_millis() as i64))
}

pub fn earlier(now: Timestamp, by: Duration) -> Timestamp {
    Timestamp(now.millis().saturating_sub(by.as_millis() as i64))
}

/// The wait before attempt `attempts + 1`.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.clamp(1, 6)).min(MAX_BACKOFF)
}

impl Mailer {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Clock,
        config: MailConfig,
        public: PublicUrl,
    ) -> anyhow::Result<Arc<Self>> {
        let transport = config.smtp.transport()?;
        store.enable_notices();
        Ok(Arc::new(Self {
            store,
            clock,
            config,
            transport,
            public,
            wake: Notify::new(),
            deliveries: Default::default(),
        }))
    }

    /// Something was queued outside the loop: look at the outbox now.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    /// How often an open push stream refreshes its presence: well inside
    /// the presence window, so an open console always counts as present.
    pub fn presence_interval(&self) -> Duration {
        (self.config.windows.away / 4).clamp(Duration::from_millis(200), Duration::from_secs(30))
    }

    /// How often the loop looks for due work when nothing wakes it.
    fn poll_interval(&self) -> Duration {
        (self.config.windows.away / 4).clamp(Duration::from_millis(200), Duration::from_secs(2))
    }

    /// Runs the loop until `stop` resolves.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        loop {
            if let Err(error) = self.decide_due().await {
                tracing::warn!(error = %error, "deciding mail notices failed");
            }
            if let Err(error) = self.send_due().await {
                tracing::warn!(error = %error, "sending mail failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll_interval()) => {}
                _ = self.wake.notified() => {}
                _ = &mut stop => return,
            }
        }
    }

    async fn decide_due(&self) -> StoreResult<()> {
        loop {
            let now = self.clock.now();
            let claimed = self
                .store
                .claim_notices(now, later(now, NOTICE_LEASE), CLAIM_BATCH)
                .await?;
            let full = claimed.len() == CLAIM_BATCH as usize;
            for notice in claimed {
                self.decide(&notice).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn decide(&self, notice: &ClaimedNotice) -> StoreResult<()> {
        let now = self.clock.now();
        let Some(context) = self.store.notice_context(notice).await? else {
            return self
                .store
                .complete_notice(notice, NoticeOutcome::default(), now)
                .await;
        };
        // The team hears of what arrived while the desk was closed when it
        // opens, in one mail (the notice waits; messages meanwhile join it).
        if notice.audience != crate::store::mail::Audience::Visitor {
            let desk = crate::hours::availability(context.business_hours.as_ref(), now);
            if !desk.open {
                let opens = desk
                    .next_open_at
                    .unwrap_or_else(|| later(now, Duration::from_secs(24 * 3600)));
                let outcome = NoticeOutcome {
                    next_due: Some(opens),
                    ..NoticeOutcome::default()
                };
                return self.store.complete_notice(notice, outcome, now).await;
            }
        }
        if notice.audience == crate::store::mail::Audience::Rating {
            let outcome = self.decide_rating(notice, &context, now).await?;
            return self.store.complete_notice(notice, outcome, now).await;
        }
        let decision = plan::decide(&context, now, self.config.windows);
        let draft = render::Draft {
            organization: context.organization,
            organization_name: context.organization_name.clone(),
            conversation: notice.conversation,
            now,
        };
        let mut outcome = NoticeOutcome {
            next_due: decision.next_due,
            ..NoticeOutcome::default()
        };
        for due in &decision.mails {
            let recipient = &context.recipients[due.recipient];
            let mail = match notice.audience {
                crate::store::mail::Audience::Team => {
                    render::team_mail(&draft, &context, recipient, &due.messages, &self.public)
                }
                crate::store::mail::Audience::Mentioned => {
                    render::mention_mail(&draft, &context, recipient, &due.messages, &self.public)
                }
                crate::store::mail::Audience::Visitor | crate::store::mail::Audience::Rating => {
                    let mut mail = render::visitor_mail(
                        &draft,
                        &context,
                        recipient,
                        &due.messages,
                        &self.public,
                    );
                    // It quotes what the visitor gave (their name, their
                    // page): only for an address that is theirs.
                    if !context.visitor_trusted {
                        mail.held = true;
                        outcome.confirmation = Some(self.confirmation(&draft, &mail.to));
                    }
                    mail
                }
            };
            outcome.mails.push(mail);
            outcome.marks.push((recipient.key.clone(), due.covered_seq));
        }
        self.store.complete_notice(notice, outcome, now).await
    }

    async fn send_due(&self) -> StoreResult<()> {
        loop {
            let now = self.clock.now();
            let claimed = self
                .store
                .claim_mail(now, later(now, MAIL_LEASE), CLAIM_BATCH)
                .await?;
            let full = claimed.len() == CLAIM_BATCH as usize;
            let mut failed = false;
            for mail in claimed {
                failed |= !self.deliver(&mail).await?;
            }
            // After a failure the rest waits for its own retry time.
            if !full || failed {
                return Ok(());
            }
        }
    }

    /// One attempt; `false` when it failed.
    async fn deliver(&self, mail: &OutgoingMail) -> StoreResult<bool> {
        let attempt = smtp::send(&self.transport, &self.config.smtp.from, mail).await;
        crate::metrics::count_outcome(
            &self.deliveries,
            !matches!(attempt, smtp::Attempt::Failed(_)),
        );
        let now = self.clock.now();
        let (delivery, ok) = match attempt {
            smtp::Attempt::Sent => {
                tracing::info!(mail_id = %mail.id, "mail sent");
                (Delivery::Sent, true)
            }
            smtp::Attempt::Failed(error) => {
                let wait = backoff(mail.attempts + 1);
                tracing::warn!(mail_id = %mail.id, %error, retry_in_secs = wait.as_secs(), "mail not sent; will retry");
                (
                    Delivery::Retry {
                        at: later(now, wait),
                        error,
                    },
                    false,
                )
            }
            smtp::Attempt::Rejected(error) => {
                tracing::warn!(mail_id = %mail.id, %error, "mail refused for good; the address is suppressed");
                (Delivery::Bounced { error }, true)
            }
        };
        self.store.finish_mail(mail, delivery, now).await?;
        Ok(ok)
    }

    /// A confirmation mail for `to`, sent unless one went there from the
    /// organization within [`CONFIRMATION_EVERY`].
    fn confirmation(&self, draft: &render::Draft, to: &str) -> ConfirmationRequest {
        let token = ConfirmationToken::generate();
        let link = self.public.confirmation_link(&token);
        ConfirmationRequest {
            token: token.hash(),
            mail: render::confirmation_mail(draft, to, &link),
            once_since: earlier(draft.now, CONFIRMATION_EVERY),
        }
    }

    /// Queues the conversation's transcript to `to`; `Ok(false)` once
    /// [`TRANSCRIPTS_PER_DAY`] were queued in the last 24 hours. A
    /// transcript holds what the visitor wrote: to an address that is not
    /// `trusted` (verified or confirmed) it waits for the address to
    /// confirm, and the confirmation mail goes first.
    pub async fn queue_transcript(
        &self,
        organization: echo_protocol::OrganizationId,
        organization_name: String,
        conversation: ConversationId,
        to: &str,
        messages: &[Message],
        trusted: bool,
    ) -> StoreResult<bool> {
        let now = self.clock.now();
        let draft = render::Draft {
            organization,
            organization_name,
            conversation,
            now,
        };
        let mut mail = render::transcript_mail(&draft, to, messages);
        mail.held = !trusted;
        let confirmation = (!trusted).then(|| self.confirmation(&draft, to));
        let since = earlier(now, Duration::from_secs(24 * 3600));
        let queued = self
            .store
            .queue_transcript(mail, since, TRANSCRIPTS_PER_DAY, confirmation)
            .await?;
        if queued {
            self.wake.notify_one();
        }
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (1..9).map(|n| super::backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert!(super::backoff(u32::MAX) <= Duration::from_secs(60));
    }
}
