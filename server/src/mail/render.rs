//! The mails themselves: plain text and HTML alternatives, the
//! organization's name as the sender's. Every piece of text a visitor or
//! operator wrote is escaped for HTML (and kept off header lines but the
//! subject, which lettre encodes), and the only links are the console's,
//! the page the visitor was on, and the mail's own unsubscribe link.

use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use echo_web::markdown::escape_into;

use crate::accounts::PublicUrl;
use crate::secrets::UnsubscribeToken;
use crate::store::mail::{MailKind, NewMail, NoticeContext, NoticeRecipient};

/// HTML-escapes text (element content and double-quoted attributes), by
/// the same rules as the widget's first screen (`echo_web::markdown`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// One line for a subject: no line breaks, at most 120 characters.
pub(super) fn subject_text(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut subject: String = flat.trim().chars().take(120).collect();
    if flat.trim().chars().count() > 120 {
        subject.push('…');
    }
    subject
}

/// Who wrote a quoted message. `visitor` names the visitor's own messages:
/// their name in the team's mail, "You" in their own.
fn author(message: &Message, organization: &str, visitor: &str) -> String {
    match (&message.author_name, message.role) {
        (Some(name), _) if !name.is_empty() => name.clone(),
        (_, MessageRole::Visitor) => visitor.to_owned(),
        (_, MessageRole::Assistant) => format!("{organization} assistant"),
        (_, MessageRole::Operator | MessageRole::Note) => organization.to_owned(),
    }
}

fn time(at: Timestamp) -> String {
    // Minutes since the epoch in UTC, without a date library: days and
    // the time of day are enough for a mail quoting a chat.
    let secs = at.millis().div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The quoted messages, as text and as HTML.
fn quoted(messages: &[&Message], organization: &str, visitor: &str) -> (String, String) {
    let mut text = String::new();
    let mut html = String::new();
    for message in messages {
        let who = author(message, organization, visitor);
        let when = time(message.created_at);
        text.push_str(&format!("{who} · {when}\n"));
        for line in message.text.lines() {
            text.push_str(&format!("> {line}\n"));
        }
        text.push('\n');
        html.push_str(&format!(
            "<p style=\"margin:0 0 4px;color:#555;font-size:13px\"><strong>{}</strong> · {}</p>\
             <blockquote style=\"margin:0 0 16px;padding:8px 12px;border-left:3px solid #ccc;white-space:pre-wrap\">{}</blockquote>",
            escape(&who),
            escape(&when),
            escape(&message.text)
        ));
    }
    (text, html)
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#111;max-width:600px;margin:0 auto;padding:16px\">{body}</body></html>",
        escape(title)
    )
}

pub(super) fn link(url: &str, label: &str) -> String {
    format!("<p><a href=\"{}\">{}</a></p>", escape(url), escape(label))
}

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub struct Draft {
    pub organization: OrganizationId,
    pub organization_name: String,
    pub conversation: ConversationId,
    pub now: Timestamp,
}

impl Draft {
    fn mail(
        &self,
        kind: MailKind,
        to: &str,
        subject: String,
        text: String,
        html: String,
    ) -> NewMail {
        NewMail {
            id: new_id(),
            organization: self.organization,
            conversation: Some(self.conversation),
            kind,
            to: to.to_owned(),
            from_name: subject_text(&self.organization_name),
            subject,
            text,
            html,
            unsubscribe: None,
            created_at: self.now,
            held: false,
        }
    }
}

/// The page the visitor chatted on: a link when it is on one of the
/// organization's allowed sites, else plain text (the visitor's browser
/// reported it, so it could be anyone's page); as text and HTML.
fn visitor_page(context: &NoticeContext) -> (String, String) {
    let Some(url) = context.visitor_page.as_deref() else {
        return (String::new(), String::new());
    };
    let allowed = echo_protocol::origin::origin_of(url)
        .is_some_and(|origin| context.allowed_origins.contains(&origin));
    if allowed {
        (
            format!("Continue the conversation: {url}\n\n"),
            link(url, "Continue the conversation"),
        )
    } else {
        (
            format!("You chatted on the page {url}\n\n"),
            format!(
                "<p>You chatted on the page <span style=\"font-family:monospace\">{}</span></p>",
                escape(url)
            ),
        )
    }
}

/// To an operator: the visitor wrote while their console was closed.
pub fn team_mail(
    draft: &Draft,
    context: &NoticeContext,
    recipient: &NoticeRecipient,
    messages: &[&Message],
    public: &PublicUrl,
) -> NewMail {
    let org = &context.organization_name;
    let visitor = if context.visitor_name.is_empty() {
        "A visitor"
    } else {
        &context.visitor_name
    };
    let subject = subject_text(&match messages.len() {
        1 => format!("{visitor} wrote to {org}"),
        n => format!("{n} new messages from {visitor}"),
    });
    let console = public.conversation_link(draft.conversation);
    let who = match context.visitor_email.as_str() {
        "" => visitor.to_owned(),
        email => format!("{visitor} <{email}>"),
    };
    let (quote_text, quote_html) = quoted(messages, org, visitor);
    let footer = format!(
        "You get this mail because you answer {org}'s support chat and your console was closed. \
         Turn these mails off under Notifications in the console."
    );
    let text = format!(
        "Hello {},\n\n{who} wrote:\n\n{quote_text}Answer in the console: {console}\n\n-- \n{footer}\n",
        recipient.name
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hello {},</p><p>{} wrote:</p>{quote_html}{}<hr><p style=\"color:#666;font-size:12px\">{}</p>",
            escape(&recipient.name),
            escape(&who),
            link(&console, "Answer in the console"),
            escape(&footer)
        ),
    );
    draft.mail(MailKind::Team, &recipient.email, subject, text, html)
}

/// To an operator a note mentioned while they were away. Notes only: no
/// visitor ever gets one.
pub fn mention_mail(
    draft: &Draft,
    context: &NoticeContext,
    recipient: &NoticeRecipient,
    notes: &[&Message],
    public: &PublicUrl,
) -> NewMail {
    let org = &context.organization_name;
    let visitor = if context.visitor_name.is_empty() {
        "a visitor"
    } else {
        &context.visitor_name
    };
    let by = notes
        .last()
        .and_then(|n| n.author_name.clone())
        .unwrap_or_else(|| "A teammate".to_owned());
    let subject = subject_text(&format!("{by} mentioned you in a note on {visitor}'s chat"));
    let console = public.conversation_link(draft.conversation);
    let (quote_text, quote_html) = quoted(notes, org, visitor);
    let footer = format!(
        "You get this mail because a teammate at {org} mentioned you while your console was \
         closed. Turn these mails off under Notifications in the console."
    );
    let text = format!(
        "Hello {},\n\n{by} wrote in a private note:\n\n{quote_text}Open the conversation: {console}\n\n-- \n{footer}\n",
        recipient.name
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hello {},</p><p>{} wrote in a private note:</p>{quote_html}{}<hr><p style=\"color:#666;font-size:12px\">{}</p>",
            escape(&recipient.name),
            escape(&by),
            link(&console, "Open the conversation"),
            escape(&footer)
        ),
    );
    draft.mail(MailKind::Mention, &recipient.email, subject, text, html)
}

/// To the visitor: the team replied after they left. Carries its own
/// one-click unsubscribe link.
pub fn visitor_mail(
    draft: &Draft,
    context: &NoticeContext,
    recipient: &NoticeRecipient,
    messages: &[&Message],
    public: &PublicUrl,
) -> NewMail {
    let org = &context.organization_name;
    let subject = subject_text(&format!("{org} replied to your message"));
    let token = UnsubscribeToken::generate();
    let unsubscribe = public.unsubscribe_link(&token);
    let (quote_text, quote_html) = quoted(messages, org, "You");
    let (back_text, back_html) = visitor_page(context);
    let greeting = match recipient.name.as_str() {
        "" => "Hello,".to_owned(),
        name => format!("Hello {name},"),
    };
    let text = format!(
        "{greeting}\n\n{org} answered you in the chat:\n\n{quote_text}{back_text}-- \n\
         You get this mail because you chatted with {org}. Stop these mails: {unsubscribe}\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>{}</p><p>{} answered you in the chat:</p>{quote_html}{back_html}<hr>\
             <p style=\"color:#666;font-size:12px\">You get this mail because you chatted with {}. \
             <a href=\"{}\">Stop these mails</a>.</p>",
            escape(&greeting),
            escape(org),
            escape(org),
            escape(&unsubscribe)
        ),
    );
    let mut mail = draft.mail(MailKind::Visitor, &recipient.email, subject, text, html);
    mail.unsubscribe = Some((unsubscribe, token.hash()));
    mail
}

/// The whole conversation, as the visitor asked for it.
pub fn transcript_mail(draft: &Draft, to: &str, messages: &[Message]) -> NewMail {
    let org = &draft.organization_name;
    let subject = subject_text(&format!("Your conversation with {org}"));
    let messages: Vec<&Message> = messages.iter().collect();
    let (quote_text, quote_html) = quoted(&messages, org, "You");
    let text = format!("Your conversation with {org}, as you asked:\n\n{quote_text}");
    let html = page(
        &subject,
        &format!(
            "<p>Your conversation with {}, as you asked:</p>{quote_html}",
            escape(org)
        ),
    );
    draft.mail(MailKind::Transcript, to, subject, text, html)
}

/// The scores a resolution mail links to, best first.
pub const RATING_LABELS: [(u8, &str); 5] = [
    (5, "Very satisfied"),
    (4, "Satisfied"),
    (3, "Neutral"),
    (2, "Dissatisfied"),
    (1, "Very dissatisfied"),
];

/// To a visitor who left: the conversation is resolved; how did it go?
/// Each link opens a page whose form records the score (a mail scanner
/// that follows links rates nothing). `link_of` makes a score's link.
pub fn rating_mail(draft: &Draft, to: &str, link_of: impl Fn(u8) -> String) -> NewMail {
    let org = &draft.organization_name;
    let subject = subject_text(&format!("How did {org} do?"));
    let mut text = format!(
        "Your conversation with {org} is resolved. How satisfied are you with the help you got?\n\n"
    );
    let mut buttons = String::new();
    for (score, label) in RATING_LABELS {
        let url = link_of(score);
        text.push_str(&format!("{score} - {label}: {url}\n"));
        buttons.push_str(&format!(
            "<a href=\"{}\" style=\"display:inline-block;margin:4px;padding:8px 12px;border:1px solid #999;border-radius:6px;color:#111;text-decoration:none\">{score} &middot; {}</a>",
            escape(&url),
            escape(label)
        ));
    }
    text.push_str("\nOne answer is enough; you can add a comment on the page.\n");
    let html = page(
        &subject,
        &format!(
            "<p>Your conversation with {} is resolved. How satisfied are you with the help you got?</p>\
             <p>{buttons}</p><p style=\"color:#666;font-size:12px\">One answer is enough; you can add a comment on the page.</p>",
            escape(org)
        ),
    );
    draft.mail(MailKind::Rating, to, subject, text, html)
}

/// Asks the address to confirm it wants the organization's mail. Nothing
/// a visitor wrote is in it (not their name, not their page): only the
/// organization's name and the link.
pub fn confirmation_mail(draft: &Draft, to: &str, link_url: &str) -> NewMail {
    let org = &draft.organization_name;
    let subject = subject_text(&format!("Confirm your email address for {org}"));
    let text = format!(
        "Someone chatting with {org} asked for mail about the chat at this address \
         (replies, or a transcript).\n\nIf it was you, confirm here: {link_url}\n\n\
         If it was not, ignore this mail: nothing more will be sent.\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Someone chatting with {} asked for mail about the chat at this address \
             (replies, or a transcript).</p>{}<p style=\"color:#666;font-size:12px\">If it \
             was not you, ignore this mail: nothing more will be sent.</p>",
            escape(org),
            link(link_url, "Yes, it was me: confirm")
        ),
    );
    draft.mail(MailKind::Confirmation, to, subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, escape, subject_text, time};
    use echo_protocol::Timestamp;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<img src=x onerror=\"alert('x')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn subjects_are_one_short_line() {
        assert_eq!(subject_text("a\r\nBcc: x"), "a  Bcc: x");
        assert_eq!(subject_text(&"x".repeat(200)).chars().count(), 121);
    }

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(time(Timestamp(1_764_590_400_000)), "2025-12-01 12:00 UTC");
    }
}
