//! Mails to operators about their own account: the link that confirms
//! the address of a new account, and, when someone signs up with an
//! address that has an account already, a word to that address instead
//! (the sign-up's answer is the same either way, so nobody learns which
//! addresses have accounts).

use echo_protocol::{OrganizationId, Timestamp};

use super::render::{escape, link, new_id, page, subject_text};
use crate::store::mail::{MailKind, NewMail};

/// The sender's name on account mails.
const FROM: &str = "Echo";

fn mail(
    organization: OrganizationId,
    to: &str,
    subject: String,
    text: String,
    html: String,
    now: Timestamp,
) -> NewMail {
    NewMail {
        id: new_id(),
        organization,
        conversation: None,
        kind: MailKind::Account,
        to: to.to_owned(),
        from_name: FROM.to_owned(),
        subject: subject_text(&subject),
        text,
        html,
        unsubscribe: None,
        created_at: now,
        held: false,
    }
}

/// "Confirm your email address": the link opens the console, which posts
/// the token (a mail scanner's GET confirms nothing).
pub fn verification_mail(
    organization: OrganizationId,
    name: &str,
    to: &str,
    link_url: &str,
    now: Timestamp,
) -> NewMail {
    let subject = "Confirm your email address for Echo".to_owned();
    let text = format!(
        "Hello {name},\n\nConfirm this is your address to invite your team and create API \
         keys: {link_url}\n\nThe link works once, for 24 hours. If you did not sign up, ignore \
         this mail.\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hello {},</p><p>Confirm this is your address to invite your team and create \
             API keys.</p>{}<p style=\"color:#666;font-size:12px\">The link works once, for 24 \
             hours. If you did not sign up, ignore this mail.</p>",
            escape(name),
            link(link_url, "Confirm my address")
        ),
    );
    mail(organization, to, subject, text, html, now)
}

/// To an address that has an account: someone tried to sign up with it.
pub fn sign_up_attempt_mail(
    organization: OrganizationId,
    to: &str,
    sign_in_url: &str,
    now: Timestamp,
) -> NewMail {
    let subject = "Someone tried to sign up to Echo with your address".to_owned();
    let text = format!(
        "Hello,\n\nSomeone tried to create an Echo account with this address, which has one \
         already. If it was you, sign in instead: {sign_in_url}\n\nIf it was not, you can \
         ignore this mail: nothing was changed.\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hello,</p><p>Someone tried to create an Echo account with this address, which \
             has one already. If it was you, sign in instead.</p>{}<p style=\"color:#666;\
             font-size:12px\">If it was not, you can ignore this mail: nothing was changed.</p>",
            link(sign_in_url, "Sign in")
        ),
    );
    mail(organization, to, subject, text, html, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_links_kept() {
        let org = OrganizationId::from_uuid(uuid::Uuid::nil());
        let mail = verification_mail(
            org,
            "<b>Ann</b>",
            "ann@example.com",
            "https://x.io/console/#verify=ev_a",
            Timestamp(0),
        );
        assert!(mail.html.contains("&lt;b&gt;Ann"));
        assert!(mail.text.contains("https://x.io/console/#verify=ev_a"));
        assert_eq!(mail.kind, MailKind::Account);
        let attempt = sign_up_attempt_mail(
            org,
            "ann@example.com",
            "https://x.io/console/",
            Timestamp(0),
        );
        assert!(!attempt.text.contains("verify"));
    }
}
