//! The away reply: a visitor who writes while the desk is closed hears at
//! once that the team is away (the organization's away message, from the
//! assistant), once per conversation per closed period, unless the AI
//! assistant answers. Runs after the visitor's message is stored, off the
//! request; which conversations get one is `rules::service`'s to say.
//!
//! The organization's hours are kept here for a few seconds, so a busy
//! organization's messages do not each read them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use echo_protocol::messages::MessageRole;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};

use crate::clock::Clock;
use crate::hours::Schedule;
use crate::limits::Limits;
use crate::store::{new_message, Store, SubscriptionStatus};

/// How long an organization's hours are trusted without reading them.
const FRESH: Duration = Duration::from_secs(5);
/// A closed period that never ends (no opening within a year) gets one
/// away reply a day.
const NO_OPENING: i64 = 24 * 3600 * 1000;

#[derive(Clone)]
struct Known {
    at: Instant,
    /// `None`: hours off (or never set).
    schedule: Option<Arc<Schedule>>,
    subscribed: bool,
}

pub struct AwayReplies {
    store: Arc<dyn Store>,
    clock: Clock,
    limits: Arc<Limits>,
    /// Whether this server has an AI assistant at all.
    assistant: bool,
    known: Mutex<HashMap<OrganizationId, Known>>,
}

impl AwayReplies {
    pub fn new(store: Arc<dyn Store>, clock: Clock, limits: Arc<Limits>, assistant: bool) -> Self {
        Self {
            store,
            clock,
            limits,
            assistant,
            known: Mutex::default(),
        }
    }

    fn cached(&self, organization: OrganizationId) -> Option<Known> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known
            .get(&organization)
            .filter(|k| k.at.elapsed() < FRESH)
            .cloned()
    }

    async fn hours(&self, organization: OrganizationId) -> anyhow::Result<Known> {
        if let Some(known) = self.cached(organization) {
            return Ok(known);
        }
        let org = self.store.organization(organization).await?;
        let known = Known {
            at: Instant::now(),
            schedule: org
                .as_ref()
                .and_then(|o| o.business_hours.as_ref())
                .filter(|h| h.enabled)
                .and_then(|h| Schedule::parse(h).ok())
                .map(Arc::new),
            subscribed: org.is_some_and(|o| o.subscription == SubscriptionStatus::Active),
        };
        let mut all = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() > 10_000 {
            all.clear();
        }
        all.insert(organization, known.clone());
        Ok(known)
    }

    /// After a visitor's (new) message: the away reply, if one is due.
    pub fn visitor_wrote(
        self: &Arc<Self>,
        organization: OrganizationId,
        conversation: ConversationId,
    ) {
        // Most organizations keep no hours: known so, nothing to start.
        if self
            .cached(organization)
            .is_some_and(|k| k.schedule.is_none())
        {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(error) = this.reply(organization, conversation).await {
                tracing::warn!(%error, conversation_id = %conversation, "the away reply failed");
            }
        });
    }

    async fn reply(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
    ) -> anyhow::Result<()> {
        let known = self.hours(organization).await?;
        let Some(schedule) = known.schedule else {
            return Ok(());
        };
        let now = self.clock.now();
        let availability = schedule.availability(now);
        let (false, Some(away)) = (availability.open, availability.away_message) else {
            return Ok(());
        };
        let until = availability
            .next_open_at
            .unwrap_or(Timestamp(now.millis() + NO_OPENING));
        let assistant_answers =
            self.assistant && known.subscribed && !self.limits.ai_limit_reached(organization, now);
        let message = new_message(MessageRole::Assistant, away, now);
        if self
            .store
            .add_away_reply(
                organization,
                conversation,
                message,
                until,
                assistant_answers,
            )
            .await?
            .is_some()
        {
            tracing::debug!(conversation_id = %conversation, "away reply sent");
        }
        Ok(())
    }
}
