//! Voice calls in the console: which conversations are on a call now (a
//! badge on their inbox row), and on the open conversation the call in
//! progress with what is being said, and each ended call's duration. The
//! lines said arrive as the conversation's messages, marked as voice.

use echo_protocol::messages::MessageRole;
use echo_protocol::voice::VoiceCall;
use echo_protocol::ConversationId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

/// `m:ss` (or `h:mm:ss`) for a call's length.
pub fn duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

thread_local! {
    /// The latest live-calls request, and the call changes seen so far: a
    /// list fetched before a change is older than the change (and answers
    /// can arrive out of order), so it is not laid over it.
    static LIVE_FETCH: std::cell::Cell<(u32, u32)> = const { std::cell::Cell::new((0, 0)) };
}

/// Fetches the organization's live calls (for the inbox's badges).
pub fn refresh_live(console: Console) {
    let Some(api) = console.api() else { return };
    let (request, changes) = LIVE_FETCH.with(|f| {
        let (request, changes) = f.get();
        f.set((request + 1, changes));
        (request + 1, changes)
    });
    spawn_local(async move {
        let Ok(live) = api.live_voice_calls().await else {
            return;
        };
        let (latest, changes_now) = LIVE_FETCH.with(|f| f.get());
        if latest != request {
            return;
        }
        if changes_now != changes {
            // A call started or ended while this list was on its way.
            refresh_live(console);
            return;
        }
        console
            .live_calls
            .set(live.calls.iter().map(|c| c.conversation_id).collect());
    });
}

/// A call started or ended: the badges, and the open conversation's list.
pub fn call_changed(console: Console, id: ConversationId, call: &VoiceCall) {
    LIVE_FETCH.with(|f| {
        let (request, changes) = f.get();
        f.set((request, changes + 1));
    });
    let live = call.ended_at.is_none();
    console.live_calls.update(|ids| {
        ids.retain(|c| *c != id);
        if live {
            ids.push(id);
        }
    });
    console.update_open(id, |o| {
        o.calls.retain(|c| c.call_id != call.call_id);
        o.calls.push(call.clone());
        if !live {
            o.voice_line = None;
        }
    });
}

/// A line being said on the open conversation's call.
pub fn line_heard(console: Console, id: ConversationId, role: MessageRole, text: &str) {
    console.update_open(id, |o| o.voice_line = Some((role, text.to_owned())));
}

fn ended_words(call: &VoiceCall) -> String {
    let length = call.duration_seconds.map(duration).unwrap_or_default();
    match &call.ended_reason {
        Some(reason) => format!("Voice call, {length} ({})", reason.replace('-', " ")),
        None => format!("Voice call, {length}"),
    }
}

/// The open conversation's calls: the one in progress with its live line,
/// then the ended ones.
#[component]
pub fn VoiceCalls(console: Console) -> impl IntoView {
    let calls = move || {
        console
            .open
            .with(|o| o.as_ref().map(|o| o.calls.clone()).unwrap_or_default())
    };
    let line = move || {
        console
            .open
            .with(|o| o.as_ref().and_then(|o| o.voice_line.clone()))
    };
    view! {
        {move || calls().into_iter().map(|call| match call.ended_at {
            None => view! {
                <div class="voice-live" role="status">
                    <span class="voice-dot" aria-hidden="true"></span>
                    <strong>"On a voice call with the assistant"</strong>
                    <span class="voice-line" dir="auto">{move || line().map(|(role, text)| {
                        let who = if role == MessageRole::Visitor { "Visitor" } else { "Assistant" };
                        format!("{who}: {text}")
                    })}</span>
                </div>
            }.into_any(),
            Some(_) => view! { <p class="voice-ended muted">{ended_words(&call)}</p> }.into_any(),
        }).collect_view()}
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_a_clock() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(42), "0:42");
        assert_eq!(duration(605), "10:05");
        assert_eq!(duration(3725), "1:02:05");
    }
}
