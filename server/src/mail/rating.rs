//! The resolution mail: a visitor who was answered and has left is asked
//! to rate the resolved conversation, by links to a page that records the
//! score with a POST.

use std::time::Duration;

use echo_protocol::Timestamp;

use super::{later, render, Mailer};
use crate::secrets::RatingToken;
use crate::store::mail::{ClaimedNotice, NoticeContext, NoticeOutcome};
use crate::store::ratings::RatingLink;
use crate::store::StoreResult;

/// How long a resolution mail's links work.
pub const RATING_LINK_VALID: Duration = Duration::from_secs(30 * 24 * 3600);

impl Mailer {
    /// The resolution mail, if it is due: the conversation may still be
    /// rated (the rules, read now), the visitor gave an address that is
    /// theirs (verified or confirmed: a rating request is no reason to
    /// mail an address nobody confirmed) and they have been away for the
    /// presence window (a visitor still on the page rates in the widget).
    pub(super) async fn decide_rating(
        &self,
        notice: &ClaimedNotice,
        context: &NoticeContext,
        now: Timestamp,
    ) -> StoreResult<NoticeOutcome> {
        let mut outcome = NoticeOutcome::default();
        let Some(visitor) = context.recipients.first() else {
            return Ok(outcome);
        };
        if !context.visitor_trusted {
            return Ok(outcome);
        }
        let view = self.store.rating_view(notice.conversation).await?;
        let Ok(resolution) = crate::rules::service::rating(view.state, None) else {
            return Ok(outcome);
        };
        let seen = visitor.last_seen.map_or(i64::MIN, |t| t.millis());
        let back_at = Timestamp(seen.saturating_add(self.config.windows.away.as_millis() as i64));
        if now.millis() < back_at.millis() {
            outcome.next_due = Some(back_at);
            return Ok(outcome);
        }
        let draft = render::Draft {
            organization: context.organization,
            organization_name: context.organization_name.clone(),
            conversation: notice.conversation,
            now,
        };
        let token = RatingToken::generate();
        let mail = render::rating_mail(&draft, &visitor.email, |score| {
            self.public.rating_link(&token, score)
        });
        outcome.mails.push(mail);
        outcome.rating_link = Some(RatingLink {
            token_hash: token.hash(),
            resolution,
            expires_at: later(now, RATING_LINK_VALID),
        });
        Ok(outcome)
    }
}
