//! The mail settings (see [`crate::mail`]).

use std::time::Duration;

use anyhow::Context;

use crate::mail::{MailConfig, NotifyWindows, SmtpSettings};

#[derive(clap::Args)]
pub(super) struct MailArgs {
    /// The SMTP server: `smtp://user:pass@host:587` (STARTTLS),
    /// `smtps://user:pass@host` (TLS), or `smtp://host:port` (no TLS, a
    /// local relay). Without it no mail is sent.
    #[arg(long, env = "ECHO_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender address of every mail (its name is the organization's).
    #[arg(long, env = "ECHO_MAIL_FROM")]
    mail_from: Option<String>,
    /// How long a console or widget must have been closed before its
    /// operator or visitor is mailed.
    #[arg(long, env = "ECHO_NOTIFY_AFTER_SECS", default_value_t = 120)]
    notify_after_secs: u64,
    /// At most one mail per conversation and recipient in this time.
    #[arg(long, env = "ECHO_NOTIFY_BATCH_SECS", default_value_t = 600)]
    notify_batch_secs: u64,
}

impl MailArgs {
    pub(super) fn config(&self) -> anyhow::Result<Option<MailConfig>> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .context("ECHO_MAIL_FROM is needed with ECHO_SMTP_URL")?;
        Ok(Some(MailConfig {
            smtp: SmtpSettings::parse(url, from)?,
            windows: NotifyWindows {
                away: Duration::from_secs(self.notify_after_secs),
                batch: Duration::from_secs(self.notify_batch_secs),
            },
        }))
    }
}
