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
    let sender = Mailbox::new(Some(mail.from_name.clone()), from.clone());
    let mut builder = lettre::Message::builder()
        .from(sender.clone())
        .to(mail.to.parse().context("a bad recipient address")?)
        .subject(&mail.subject)
        .message_id(Some(format!("<{}@{host}>", mail.id)));
    if looks_encoded(&mail.from_name) {
        let name = encoded_words(&mail.from_name, "From".len());
        builder = builder.raw_header(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("From"),
            sender.to_string(),
            format!("{name} <{from}>"),
        ));
    }
    if looks_encoded(&mail.subject) {
        builder = builder.raw_header(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("Subject"),
            mail.subject.clone(),
            encoded_words(&mail.subject, "Subject".len()),
        ));
    }
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

/// Text with what a mail client would take for an RFC 2047 encoded word
/// (`=?utf-8?b?...?=`): lettre sends ASCII words as they are, and the
/// client would decode them (a visitor's name becoming a bidi override in
/// the team's Subject). Such a header is encoded whole instead, by the
/// mail library's encoder, so it reads as it was written.
fn looks_encoded(text: &str) -> bool {
    text.contains("=?")
}

/// `text` as RFC 2047 encoded words, folded, for a header named
/// `name_len` characters.
fn encoded_words(text: &str, name_len: usize) -> String {
    let mut out = String::new();
    {
        let mut writer =
            email_encoding::headers::writer::EmailWriter::new(&mut out, name_len + 2, 0, false);
        // Writing to a String cannot fail.
        let _ = email_encoding::headers::rfc2047::encode(text, &mut writer);
    }
    out
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

    fn formatted(subject: &str, from_name: &str) -> String {
        let mail = crate::store::mail::OutgoingMail {
            id: "m1".into(),
            organization: echo_protocol::OrganizationId::from_uuid(uuid::Uuid::nil()),
            to: "ana@example.com".into(),
            from_name: from_name.into(),
            subject: subject.into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
            unsubscribe_url: None,
            attempts: 0,
            lease: echo_protocol::Timestamp(0),
        };
        let from: lettre::Address = "echo@example.com".parse().unwrap();
        String::from_utf8(super::message(&mail, &from).unwrap().formatted()).unwrap()
    }

    /// The headers' words as a client decodes them: each encoded word
    /// decoded once, as a mail client does.
    fn decoded_header(message: &str, name: &str) -> String {
        use base64::Engine;
        let message = format!("\r\n{message}");
        let start = message.find(&format!("\r\n{name}: ")).unwrap() + name.len() + 4;
        let mut value = String::new();
        for line in message[start..].split("\r\n") {
            if !value.is_empty() && !line.starts_with(' ') {
                break;
            }
            value.push_str(line.trim_start());
        }
        let mut out = String::new();
        let mut rest = value.as_str();
        while let Some(at) = rest.find("=?utf-8?b?") {
            out.push_str(&rest[..at]);
            let body = &rest[at + 10..];
            let end = body.find("?=").unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&body[..end])
                .unwrap();
            out.push_str(&String::from_utf8(bytes).unwrap());
            rest = &body[end + 2..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn encoded_words_typed_by_someone_reach_the_reader_as_typed() {
        // "=?utf-8?b?4oCu?=" decodes to U+202E, a right-to-left override.
        let sneaky = "=?utf-8?b?4oCu?=Ana";
        let message = formatted(&format!("{sneaky} wrote to Acme"), sneaky);
        let subject = decoded_header(&message, "Subject");
        assert_eq!(subject, format!("{sneaky} wrote to Acme"));
        assert!(!subject.contains('\u{202e}'));
        let from = decoded_header(&message, "From");
        assert!(
            from.contains(sneaky) && !from.contains('\u{202e}'),
            "{from}"
        );
        // Plain subjects are left to lettre as before.
        let plain = formatted("Ana wrote to Acme", "Acme");
        assert!(plain.contains("\r\nSubject: Ana wrote to Acme\r\n"));
    }

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
