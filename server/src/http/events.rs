//! Live updates as Server-Sent Events, streamed over a plain `GET` that the
//! client reads with `fetch` (so the bearer credential stays in a header).
//!
//! Every event carries its position as the SSE `id`. A client that
//! reconnects sends the last one as `Last-Event-ID` (or `?after=`) and gets
//! exactly the events after it, from the event log, then live ones. The
//! stream subscribes to the hub before reading the log, and skips anything at
//! or below the last position sent, so nothing is lost or repeated in the
//! hand-over. The first frame, `event: ready`, tells the client the stream is
//! live and from which position. A comment every 30 s keeps idle connections
//! open through proxies (whose idle timeouts are commonly 60 s); a client
//! that falls behind the hub's bounded channel is disconnected and resumes
//! from the log.
//!
//! The log keeps events for a while (`--event-retention-hours`). A client
//! resuming from before what was pruned cannot be brought up to date event
//! by event: it gets `event: reset` with the current position instead, and
//! reloads what it shows.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use echo_protocol::events::{Change, LiveEvent, StreamPosition};
use echo_protocol::ConversationId;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use super::auth::{Operator, Visitor};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery, ClientAddress};
use super::ApiContext;
use crate::live::Receiver;
use crate::mail::presence::Presence;
use crate::revocations::Revoked;
use crate::store::mail::{operator_presence, visitor_presence};
use crate::store::{EventScope, Store};

const REPLAY_PAGE: u32 = 500;
/// Every open widget's stream sends one: 10,000 streams at 15 s cost 3.5%
/// of a core here doing nothing (`echo-bench live`); 30 s halves the
/// heartbeats and stays within the 60 s idle timeout most proxies default to.
const HEARTBEAT: Duration = Duration::from_secs(30);

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/conversations/{conversation_id}/events",
            get(visitor_events),
        )
        .route("/v1/operator/events", get(operator_events))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResumeQuery {
    /// The last position seen, when `Last-Event-ID` cannot be sent.
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

/// Where to resume: `Last-Event-ID`, else `?after=`, else the current head.
/// An empty `Last-Event-ID` is no position (what a client sends before it
/// has seen an event); otherwise it is 1 to 18 digits, exactly what the
/// OpenAPI document's pattern says.
fn resume_from(headers: &HeaderMap, query: &ResumeQuery) -> ApiResult<Option<i64>> {
    let header = match headers.get("last-event-id") {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or("\u{0}");
            if text.is_empty() {
                None
            } else {
                Some(position(text).ok_or_else(|| {
                    ApiError::validation("Last-Event-ID", "must be an event position")
                })?)
            }
        }
    };
    match header.or(query.after) {
        Some(p) if p < 0 => Err(ApiError::validation("after", "must be an event position")),
        other => Ok(other),
    }
}

/// 1 to 18 ASCII digits.
fn position(text: &str) -> Option<i64> {
    (1..=18)
        .contains(&text.len())
        .then_some(text)
        .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))?
        .parse()
        .ok()
}

/// `Last-Event-ID`'s rule, as the OpenAPI document states it.
pub const LAST_EVENT_ID_PATTERN: &str = "^[0-9]{0,18}$";

struct Feed {
    store: Arc<dyn Store>,
    scope: EventScope,
    receiver: Receiver,
    last: i64,
    backlog: VecDeque<LiveEvent>,
    replaying: bool,
    /// A visitor's stream: authors by name only, no assignments.
    for_visitor: bool,
    /// Keeps the reader's presence fresh while the stream is open.
    _presence: Option<Presence>,
    links: Arc<crate::attachments::links::Links>,
    clock: crate::clock::Clock,
    /// Counts the stream as open (`/metrics`) until it ends.
    _open: crate::metrics::StreamGuard,
    /// How often a comment goes out, and when the next one is due.
    heartbeat: Duration,
    beat: tokio::time::Instant,
}

/// When the heartbeat after one at `now` is due: `every` later, rounded up
/// to a thirtieth of `every` on one grid for the whole process. Streams'
/// heartbeats then fall due together in 30 slots per period (a second
/// apart at 30 s), and the runtime wakes once for each slot's thousands
/// instead of once per stream: at 10,000 idle streams, waking a worker
/// thread per heartbeat was about a third of their CPU (`perf`).
fn next_beat(now: tokio::time::Instant, every: Duration) -> tokio::time::Instant {
    static ORIGIN: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(|| now);
    let slot = (every / 30).max(Duration::from_millis(1));
    let due = (now + every).saturating_duration_since(origin);
    let slots = due.as_nanos().div_ceil(slot.as_nanos());
    origin + slot * u32::try_from(slots).unwrap_or(u32::MAX)
}

/// `ready` or `reset`, with the position the client continues from.
fn position_frame(kind: &'static str, position: i64) -> Event {
    Event::default()
        .event(kind)
        .json_data(StreamPosition { position })
        .unwrap_or_else(|_| Event::default().comment("unencodable position"))
}

fn frame(event: &LiveEvent) -> Event {
    let frame = if event.change.is_ephemeral() {
        // No `id`: a live-only event must not move the client's resume point.
        Event::default()
    } else {
        Event::default().id(event.position.to_string())
    };
    frame
        .event(event.change.kind())
        .json_data(event)
        .unwrap_or_else(|_| Event::default().comment("unencodable event"))
}

impl Feed {
    /// The event as this stream's reader may see it (`None`: skipped),
    /// with fresh links to any attachments.
    fn shown<'e>(&self, event: &'e LiveEvent) -> Option<Cow<'e, LiveEvent>> {
        let has_files =
            matches!(&event.change, Change::Message { message } if !message.attachments.is_empty());
        if !self.for_visitor && !has_files {
            return Some(Cow::Borrowed(event));
        }
        let mut change = event.change.clone();
        if self.for_visitor {
            change = change.for_visitor()?;
        }
        if let Change::Message { message } = &mut change {
            self.links.sign(message, self.clock.now());
        }
        Some(Cow::Owned(LiveEvent {
            change,
            ..event.clone()
        }))
    }

    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                self.last = event.position;
                let Some(frame) = self.shown(&event).map(|shown| frame(&shown)) else {
                    continue;
                };
                return Some((Ok(frame), self));
            }
            if self.replaying {
                let page = self
                    .store
                    .events_after(self.scope, self.last, REPLAY_PAGE)
                    .await;
                // Read after the page: a prune that raced with it shows here.
                let pruned = self.store.pruned_through(self.scope).await;
                match (page, pruned) {
                    (Ok(_), Ok(pruned)) if pruned > self.last => {
                        return match self.store.head_position(self.scope).await {
                            Ok(head) => {
                                self.last = head;
                                self.replaying = false;
                                let frame = position_frame("reset", self.last);
                                Some((Ok(frame), self))
                            }
                            Err(error) => {
                                tracing::error!(error = %error, "event head read failed");
                                None
                            }
                        };
                    }
                    (Ok(page), Ok(_)) => {
                        self.replaying = page.len() == REPLAY_PAGE as usize;
                        self.backlog.extend(page);
                        continue;
                    }
                    (Err(error), _) | (_, Err(error)) => {
                        tracing::error!(error = %error, "event replay failed");
                        return None;
                    }
                }
            }
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                () = tokio::time::sleep_until(self.beat) => {
                    // From when it was due, unless the stream fell a whole
                    // period behind (busy with events): no catching up.
                    let now = tokio::time::Instant::now();
                    let from = if now > self.beat + self.heartbeat { now } else { self.beat };
                    self.beat = next_beat(from, self.heartbeat);
                    return Some((Ok(Event::default().comment("")), self));
                }
            };
            match received {
                Ok(event) if event.change.is_ephemeral() => {
                    if let Some(frame) = self.shown(&event).map(|shown| frame(&shown)) {
                        return Some((Ok(frame), self));
                    }
                }
                Ok(event) if event.position <= self.last => continue,
                Ok(event) => {
                    self.last = event.position;
                    if let Some(frame) = self.shown(&event).map(|shown| frame(&shown)) {
                        return Some((Ok(frame), self));
                    }
                }
                // Too slow: end the stream; the client resumes from the log.
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// Serves `scope`'s events from `after` (or from now) until `end`'s
/// future resolves (the credential ended) or its time has passed.
async fn stream_events(
    ctx: &ApiContext,
    scope: EventScope,
    receiver: Receiver,
    after: Option<i64>,
    end: (
        impl std::future::Future<Output = ()> + Send + 'static,
        Duration,
    ),
    for_visitor: bool,
    presence: Option<String>,
) -> ApiResult<Response> {
    let (last, replaying) = match after {
        Some(position) => (position, true),
        None => (ctx.store.head_position(scope).await?, false),
    };
    let ready = position_frame("ready", last);
    // A closed connection shows only when a write fails: with mail on, the
    // comments come at least as often as presence is refreshed, so a
    // closed console stops counting as present within about two of them.
    let heartbeat = ctx.mailer.as_ref().map_or(HEARTBEAT, |mailer| {
        mailer.presence_interval().min(HEARTBEAT)
    });
    let feed = Feed {
        store: ctx.store.clone(),
        scope,
        receiver,
        last,
        backlog: VecDeque::new(),
        replaying,
        for_visitor,
        _presence: ctx
            .mailer
            .as_ref()
            .zip(presence)
            .map(|(mailer, subject)| Presence::start(mailer, subject)),
        links: ctx.links.clone(),
        clock: ctx.clock.clone(),
        _open: crate::metrics::StreamGuard::open(
            &ctx.metrics,
            if for_visitor { "visitor" } else { "operator" },
        ),
        heartbeat,
        beat: next_beat(tokio::time::Instant::now(), heartbeat),
    };
    let events = stream::once(async move { Ok::<_, Infallible>(ready) })
        .chain(stream::unfold(feed, Feed::next));
    // The stream ends when the server shuts down (the client resumes after
    // the restart or on another replica), when the credential ends (the
    // reconnect then gets its 401 or 403), or at the end of its lifetime:
    // recycled now and then, so connections spread again over the replicas
    // behind a load balancer (the client resumes). One timer, and only
    // what the end needs (every open widget holds these).
    let (revoked, credential_lifetime) = end;
    let mut shutdown = ctx.shutdown.clone();
    let lifetime = ctx.stream_lifetime.min(credential_lifetime);
    let end = async move {
        tokio::select! {
            _ = revoked => {},
            _ = shutdown.wait_for(|stopping| *stopping) => {},
            _ = tokio::time::sleep(lifetime) => {},
        }
    };
    let events = events.take_until(end);
    let mut response = Sse::new(events).into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The conversation's events: new messages and status changes.
#[utoipa::path(
    get,
    path = "/v1/conversations/{conversationId}/events",
    tag = "live",
    security(("contactSession" = [])),
    params(
        ("conversationId" = String, Path),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this position"),
        ResumeQuery
    ),
    responses(
        (status = 200, description = "`text/event-stream` of `ready`, then `message`, `status` and `typing` events (`LiveEvent` JSON)", body = echo_protocol::events::LiveEvent),
        (status = 404, description = "Missing or another session's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many open streams for this session or address (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn visitor_events(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ResumeQuery>,
) -> ApiResult<Response> {
    let after = resume_from(&headers, &query)?;
    let conversation = visitor.conversation(&ctx, id).await?;
    // Held for as long as the stream is open.
    let slot = ctx
        .limits
        .open_stream(visitor.0.id_hash.as_str(), address)?;
    let receiver = ctx.hub.subscribe_conversation(conversation.id);
    // The stream ends when the session does, by expiry or revocation.
    let remaining_ms = visitor.0.expires_at.millis() - ctx.clock.now().millis();
    let lifetime = Duration::from_millis(remaining_ms.max(0) as u64);
    // Registered now, before the stream is first polled: an end of the
    // session from here on closes it.
    let ended = ctx.hub.revocations.watch(vec![Revoked::ContactSession(
        visitor.0.id_hash.as_str().to_owned(),
    )]);
    let revoked = async move {
        let _slot = slot;
        ended.revoked().await;
    };
    stream_events(
        &ctx,
        EventScope::Conversation(conversation.id),
        receiver,
        after,
        (revoked, lifetime),
        true,
        Some(visitor_presence(&visitor.0.id_hash)),
    )
    .await
}

/// Every event of the operator's organization.
#[utoipa::path(
    get,
    path = "/v1/operator/events",
    tag = "live",
    security(("session" = []), ("operatorKey" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this position"),
        ResumeQuery
    ),
    responses(
        (status = 200, description = "`text/event-stream` of `ready`, then `message`, `status`, `assignment` and `typing` events", body = echo_protocol::events::LiveEvent),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn operator_events(
    State(ctx): State<ApiContext>,
    operator: Operator,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ResumeQuery>,
) -> ApiResult<Response> {
    let after = resume_from(&headers, &query)?;
    let receiver = ctx.hub.subscribe_organization(operator.organization);
    let scope = EventScope::Organization(operator.organization);
    let presence = operator.operator_id().map(operator_presence);
    let revoked = operator.revoked(ctx.clone());
    let end = (revoked, Duration::MAX);
    stream_events(&ctx, scope, receiver, after, end, false, presence).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_fall_due_together_a_period_later() {
        let every = Duration::from_secs(30);
        let slot = Duration::from_secs(1);
        let start = tokio::time::Instant::now();
        let beats: Vec<_> = (0..200)
            .map(|i| start + Duration::from_millis(37 * i))
            .map(|now| (now, next_beat(now, every)))
            .collect();
        for (now, beat) in &beats {
            assert!(*beat >= *now + every, "not before a period has passed");
            assert!(*beat <= *now + every + slot, "at most a slot later");
        }
        // 200 streams over 7.4 s fall due in 8 or 9 slots, not 200 times.
        let mut due: Vec<_> = beats.iter().map(|(_, beat)| *beat).collect();
        due.dedup();
        assert!(due.len() <= 9, "{} distinct times", due.len());
        // A stream's next beats stay a period apart.
        let first = beats[0].1;
        assert_eq!(next_beat(first, every), first + every);
    }
}
