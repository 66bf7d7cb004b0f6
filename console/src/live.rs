//! Following the organization's push stream for as long as the workspace
//! is shown: each event changes the open conversation and the inbox's rows
//! (`model::apply`), a lost stretch reloads both, and a refused credential
//! signs out or asks the server who is signed in.

use echo_protocol::events::{Change, LiveEvent, Typist};
use echo_protocol::messages::MessageRole;
use echo_protocol::ErrorCode;
use echo_web::list::merge;
use echo_web::{follow, OpenError, Signal};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model;
use crate::state::Console;

/// How long "the visitor is typing" shows without another signal (the
/// widget repeats it every 2 s while they type).
const VISITOR_TYPING_MS: i32 = 6_000;

/// The visitor's typing, shown and (after a quiet spell) hidden again.
fn visitor_typing(console: Console, id: echo_protocol::ConversationId, active: bool) {
    console.update_open(id, |o| o.visitor_typing = active);
    if !active {
        return;
    }
    let epoch = js_sys::Date::now();
    TYPING_SINCE.with(|t| t.set(epoch));
    spawn_local(async move {
        echo_web::sleep(VISITOR_TYPING_MS).await;
        if TYPING_SINCE.with(|t| t.get()) == epoch {
            console.update_open(id, |o| o.visitor_typing = false);
        }
    });
}

thread_local! {
    static TYPING_SINCE: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

fn apply(console: Console, event: LiveEvent) {
    let id = event.conversation_id;
    let open = console.open.with_untracked(|o| o.as_ref().map(|o| o.id)) == Some(id);
    if let Change::Message { message } = &event.change {
        let me = console.me_untracked();
        if me.is_some_and(|me| message.mentions.contains(&me)) {
            let by = message.author_name.clone().unwrap_or_default();
            console.toast(format!("{by} mentioned you in a note"));
            console.refresh_mentions();
        }
    }
    match &event.change {
        Change::Typing { active, by, .. } => {
            if open {
                match by {
                    Typist::Assistant => console.update_open(id, |o| o.assistant_typing = *active),
                    Typist::Visitor => visitor_typing(console, id, *active),
                    Typist::Operator => {}
                }
            }
            return;
        }
        Change::VoiceTranscript {
            role, transcript, ..
        } => {
            if open {
                crate::voice::line_heard(console, id, *role, transcript);
            }
            return;
        }
        Change::VoiceCall { call } => crate::voice::call_changed(console, id, call),
        Change::Message { message } if open => console.update_open(id, |o| {
            if message.voice {
                o.voice_line = None;
            }
            match message.role {
                MessageRole::Assistant => o.assistant_typing = false,
                MessageRole::Visitor => o.visitor_typing = false,
                _ => {}
            }
            merge(&mut o.messages, vec![message.clone()]);
        }),
        Change::Labels { labels } if open => console.update_open(id, |o| {
            if let Some(d) = o.detail.as_mut() {
                d.labels = labels.clone();
            }
        }),
        Change::Status { status } if open => console.update_open(id, |o| {
            if let Some(d) = o.detail.as_mut() {
                d.status = *status;
            }
        }),
        Change::Assignment { assignee } if open => console.update_open(id, |o| {
            if let Some(d) = o.detail.as_mut() {
                d.assignee = assignee.clone();
            }
        }),
        Change::Rating { rating } if open => console.update_open(id, |o| {
            if let Some(d) = o.detail.as_mut() {
                d.rating = Some(rating.clone());
            }
        }),
        _ => {}
    }
    let inbox = console.inbox;
    let filter = inbox.filter_untracked();
    let mut known = false;
    inbox
        .rows
        .update(|rows| known = model::apply(rows, filter, &event));
    if !known {
        // A conversation this view does not list yet: its row (with the
        // visitor's name) comes from the server.
        console.refresh_inbox();
    }
}

/// Follows the organization's events until `abort`.
pub fn run_stream(console: Console, abort: web_sys::AbortSignal) {
    spawn_local(async move {
        let open = |after| {
            let (api, abort) = (console.api(), abort.clone());
            async move {
                let Some(api) = api else {
                    return Err(OpenError::Retry);
                };
                api.open_events(after, &abort).await.map_err(|e| {
                    if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::Forbidden) {
                        OpenError::Refused(e)
                    } else {
                        OpenError::Retry
                    }
                })
            }
        };
        let stopped = || abort.aborted() || console.api().is_none();
        let refused = follow(open, stopped, |signal| match signal {
            Signal::Ready { first } => {
                console.live.set(true);
                if !first {
                    console.refresh_inbox();
                }
            }
            Signal::Event(event) => apply(console, event),
            // Events were lost (pruned while disconnected): fetch again.
            Signal::Reset => {
                console.refresh_inbox();
                console.reload_open();
            }
            Signal::Down => console.live.set(false),
        })
        .await;
        match refused {
            // No longer a member of this organization: the account (and
            // the organizations left) from the server again.
            Some(error) if error.is(ErrorCode::Forbidden) => {
                console.toast(error.message());
                console.check_session();
            }
            Some(error) => console.fail(error),
            None => {}
        }
    });
}
