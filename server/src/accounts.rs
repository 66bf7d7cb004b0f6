//! Team accounts' rules that the API and the command line share: the
//! server's public URL (invitation links, the cookie's `Secure` flag, the
//! origin cookie-authenticated writes must come from), invitations, and the
//! account summary sign-in answers with.

use std::net::SocketAddr;

use echo_protocol::team::{Account, InvitationCreated, OperatorProfile, OperatorRole};
use echo_protocol::validate::Email;
use echo_protocol::{InvitationId, OrganizationId};

use crate::clock::Clock;
use crate::secrets::InvitationToken;
use crate::store::{NewInvitation, Store, StoreResult};

/// An invitation link works this long.
pub const INVITATION_TTL_SECS: i64 = 72 * 3600;
/// A session nobody used for this long has ended.
pub const SESSION_IDLE_SECS: i64 = 14 * 24 * 3600;
/// A session's last use is written at most this often.
pub const SESSION_TOUCH_SECS: i64 = 300;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "echo_session";

/// Where browsers reach this server: `scheme://host[:port]` plus an
/// optional path prefix, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    base: String,
    origin_len: usize,
}

impl PublicUrl {
    /// `http://` or `https://` URLs only.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let base = text.trim().trim_end_matches('/');
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| anyhow::anyhow!("the public URL must start with http:// or https://"))?;
        let host_len = rest.find('/').unwrap_or(rest.len());
        anyhow::ensure!(host_len > 0, "the public URL has no host");
        anyhow::ensure!(
            !rest.contains(['?', '#', ' ', '@']),
            "the public URL must be a plain base URL"
        );
        Ok(Self {
            origin_len: base.len() - rest.len() + host_len,
            base: base.to_owned(),
        })
    }

    /// `http://<bind address>`: the default when no public URL is set.
    pub fn from_bind(address: SocketAddr) -> Self {
        Self::parse(&format!("http://{address}")).expect("a socket address is a valid host")
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    pub fn origin(&self) -> &str {
        &self.base[..self.origin_len]
    }

    /// The URL everything else is under (no trailing slash).
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }

    /// The console's accept page, the token in the fragment (never sent to
    /// a server, so it stays out of access logs).
    pub fn invitation_link(&self, token: &InvitationToken) -> String {
        format!("{}/console/#token={}", self.base, token.expose_secret())
    }

    /// The console's email check, the token in the fragment.
    pub fn verification_link(&self, token: &crate::secrets::VerificationToken) -> String {
        format!("{}/console/#verify={}", self.base, token.expose_secret())
    }

    /// The console's first-admin screen, the token in the fragment.
    pub fn setup_link(&self, token: &crate::secrets::SetupToken) -> String {
        format!("{}/console/#setup={}", self.base, token.expose_secret())
    }

    /// A conversation in the console (it asks for sign-in first if needed).
    pub fn conversation_link(&self, conversation: echo_protocol::ConversationId) -> String {
        format!("{}/console/#conversation={conversation}", self.base)
    }

    /// A notification mail's one-click unsubscribe link (RFC 8058): the
    /// token is the link's only purpose, so it may travel in the URL.
    pub fn unsubscribe_link(&self, token: &crate::secrets::UnsubscribeToken) -> String {
        format!("{}/v1/unsubscribe/{}", self.base, token.expose_secret())
    }

    /// The link a confirmation mail carries (its token is its only purpose).
    /// A resolution mail's link to rate with `score` (the page asks
    /// before it records).
    pub fn rating_link(&self, token: &crate::secrets::RatingToken, score: u8) -> String {
        format!(
            "{}/v1/ratings/{}?score={score}",
            self.base,
            token.expose_secret()
        )
    }

    pub fn confirmation_link(&self, token: &crate::secrets::ConfirmationToken) -> String {
        format!("{}/v1/mail/confirm/{}", self.base, token.expose_secret())
    }
}

/// Creates an invitation to join `organization` as `role` and returns its
/// link; the token itself is stored only as a hash.
pub async fn invite(
    store: &dyn Store,
    clock: &Clock,
    public: &PublicUrl,
    organization: OrganizationId,
    email: Email,
    role: OperatorRole,
) -> StoreResult<InvitationCreated> {
    let token = InvitationToken::generate();
    let now = clock.now();
    let invitation = NewInvitation {
        id: InvitationId::from_uuid(uuid::Uuid::new_v4()),
        organization_id: organization,
        email: email.into_inner().to_lowercase(),
        role,
        token_hash: token.hash(),
        created_at: now,
        expires_at: echo_protocol::Timestamp(now.millis() + INVITATION_TTL_SECS * 1000),
    };
    let created = InvitationCreated {
        invitation_id: invitation.id,
        url: public.invitation_link(&token),
        expires_at: invitation.expires_at,
    };
    store.create_invitation(invitation).await?;
    Ok(created)
}

/// What sign-in, `me` and the other account calls answer.
pub async fn account(
    store: &dyn Store,
    operator: OperatorProfile,
    active: Option<OrganizationId>,
) -> StoreResult<Account> {
    let organizations = store.memberships(operator.id).await?;
    let email_verified = store
        .operator_account(operator.id)
        .await?
        .is_some_and(|account| account.email_verified);
    let email_notifications = store.email_notifications(operator.id).await?;
    let two_factor_enabled = store
        .two_factor(operator.id)
        .await?
        .is_some_and(|second| second.enabled);
    let required = match active {
        Some(id) => store
            .organization(id)
            .await?
            .is_some_and(|org| org.require_two_factor),
        None => false,
    };
    Ok(Account {
        operator,
        organizations,
        active_organization_id: active,
        email_notifications,
        two_factor_enabled,
        two_factor_required: required && !two_factor_enabled,
        email_verified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_the_scheme_and_host() {
        let url = PublicUrl::parse("https://chat.example.com/support/").unwrap();
        assert_eq!(url.origin(), "https://chat.example.com");
        assert!(url.is_https());
        let local = PublicUrl::from_bind("127.0.0.1:8787".parse().unwrap());
        assert_eq!(local.origin(), "http://127.0.0.1:8787");
        assert!(!local.is_https());
        assert!(PublicUrl::parse("ftp://x").is_err());
        assert!(PublicUrl::parse("https://").is_err());
        assert!(PublicUrl::parse("https://a.io/?x=1").is_err());
    }

    #[test]
    fn invitation_links_carry_the_token_in_the_fragment() {
        let url = PublicUrl::parse("https://chat.example.com/support").unwrap();
        let token = InvitationToken::generate();
        let link = url.invitation_link(&token);
        assert_eq!(
            link,
            format!(
                "https://chat.example.com/support/console/#token={}",
                token.expose_secret()
            )
        );
    }
}
