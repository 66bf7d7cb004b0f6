//! The SMTP side: the server's settings (`ECHO_SMTP_URL`, `ECHO_MAIL_FROM`)
//! and one delivery attempt with lettre, told apart into sent, retry later,
//! and bounced for good.

use std::time::Duration;

use anyhow::{bail, Context};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::store::mail::OutgoingMail;

/// How long one SMTP conversation may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and how to send: `smtps://` is TLS from the start, `smtp://` with
/// credentials must upgrade with STARTTLS, and a plain `smtp://host:port`
/// talks without TLS (a local relay, development and tests).
#[derive(Clone)]
pub struct SmtpSettings {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, SecretString)>,
    pub from: lettre::Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Implicit,
    StartTls,
    None,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

fn percent_decoded(text: &str) -> anyhow::Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).context("a broken %-escape")?;
            out.push(u8::from_str_radix(hex, 16).context("a broken %-escape")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("credentials are not UTF-8")
}

impl SmtpSettings {
    /// Parses `ECHO_SMTP_URL` and `ECHO_MAIL_FROM`.
    pub fn parse(url: &str, from: &str) -> anyhow::Result<Self> {
        let (scheme, rest) = url
            .split_once("://")
            .context("ECHO_SMTP_URL must look like smtp://host:port or smtps://user:pass@host")?;
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let credentials = userinfo
            .map(|info| -> anyhow::Result<_> {
                let (user, pass) = info.split_once(':').unwrap_or((info, ""));
                Ok((
                    percent_decoded(user)?,
                    SecretString::from(percent_decoded(pass)?),
                ))
            })
            .transpose()?;
        let (security, default_port) = match (scheme, &credentials) {
            ("smtps", _) => (Security::Implicit, 465),
            ("smtp", Some(_)) => (Security::StartTls, 587),
            ("smtp", None) => (Security::None, 25),
            _ => bail!("ECHO_SMTP_URL must start with smtp:// or smtps://"),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().context("a bad SMTP port")?),
            None => (hostport, default_port),
        };
        if host.is_empty() {
            bail!("ECHO_SMTP_URL has no host");
        }
        let from = from
            .parse()
            .with_context(|| format!("ECHO_MAIL_FROM is not an email address: {from}"))?;
        Ok(Self {
            host: host.to_owned(),
            port,
            security,
            credentials,
            from,
        })
    }

    pub fn transport(&self) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let builder = match self.security {
            Security::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)?,
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)?,
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
        };
        let builder = builder.port(self.port).timeout(Some(SMTP_TIMEOUT));
        let builder = match &self.credentials {
            Some((user, pass)) => builder.credentials(Credentials::new(
                user.clone(),
                pass.expose_secret().to_owned(),
            )),
            None => builder,
        };
        Ok(builder.build())
    }
}

/// The result of one attempt.
#[derive(Debug)]
pub enum Attempt {
    Sent,
    /// Worth trying again (the server is down, busy, or refused for now).
    Failed(String),
    /// The server refused this address for good.
    Rejected(String),
}

/// The message as it goes on the wire: the organization's name as the
/// sender's, text and HTML alternatives, the one-click unsubscribe headers
/// (RFC 8058) for notification mail, and a Message-ID made from the
/// outbox row so a receiving server can drop a repeat.
pub fn message(mail: &OutgoingMail, from: &lettre::Address) -> anyhow::Result<lettre::Message> {
    let host = from.domain();
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(Some(mail.from_name.clone()), from.clone()))
        .to(mail.to.parse().context("a bad recipient address")?)
        .subject(&mail.subject)
        .message_id(Some(format!("<{}@{host}>", mail.id)));
    if let Some(url) = &mail.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(
        mail.text.clone(),
        mail.html.clone(),
    ))?)
}

pub async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &lettre::Address,
    mail: &OutgoingMail,
) -> Attempt {
    let message = match message(mail, from) {
        Ok(message) => message,
        // Nothing will make this row sendable: treat it as refused.
        Err(error) => return Attempt::Rejected(format!("unsendable: {error:#}")),
    };
    match transport.send(message).await {
        Ok(_) => Attempt::Sent,
        Err(error) => {
            let code = error.status().map(u16::from);
            // 550/551/553: no such mailbox or not allowed; other permanent
            // codes (auth, policy) are ours to fix, so keep retrying.
            if error.is_permanent() && matches!(code, Some(550 | 551 | 553)) {
                Attempt::Rejected(error.to_string())
            } else {
                Attempt::Failed(error.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Security, SmtpSettings};

    #[test]
    fn urls_choose_the_security() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525", "echo@example.com").unwrap();
        assert_eq!((plain.security, plain.port), (Security::None, 2525));
        let tls = SmtpSettings::parse("smtp://me%40x.io:p%3Ass@mail.x.io:587", "a@x.io").unwrap();
        assert_eq!(tls.security, Security::StartTls);
        assert_eq!(tls.credentials.as_ref().unwrap().0, "me@x.io");
        let implicit = SmtpSettings::parse("smtps://u:p@mail.x.io", "a@x.io").unwrap();
        assert_eq!(
            (implicit.security, implicit.port),
            (Security::Implicit, 465)
        );
        assert!(SmtpSettings::parse("http://x", "a@x.io").is_err());
        assert!(SmtpSettings::parse("smtp://x:25", "not an address").is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let settings = SmtpSettings::parse("smtp://me:hunter22@mail.x.io", "a@x.io").unwrap();
        assert!(!format!("{settings:?}").contains("hunter22"));
    }
}
