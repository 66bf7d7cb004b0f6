//! The voice call, above the conversation's chat: the microphone asked
//! for (a refusal says how to allow it), connecting, listening or the
//! assistant speaking, mute, end, and what is being said. Final lines
//! arrive in the chat below as the conversation's voice messages; when the
//! call ends the panel goes and the chat stays.

use echo_protocol::ConversationId;
use echo_web::http::{self, Body, Call as Request};
use echo_web::i18n::{t, Msg};
use echo_web::js::{integer, string};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::audio::{self, Call};
use super::LiveLine;
use crate::api::{Api, Describe};
use crate::state::WidgetState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Asking,
    Blocked,
    Connecting,
    Live,
    Failed,
}

/// What the server answered for a new call.
struct Started {
    call_id: String,
    socket_url: String,
    sample_rate: u32,
}

async fn start_call(
    api: &Api,
    session: &str,
    id: ConversationId,
) -> Result<Started, http::ApiError> {
    let call = Request::new(
        "POST",
        format!("{}/v1/conversations/{id}/voice-calls", api.base()),
    )
    .bearer(Some(session))
    .body(Body::Empty);
    let text = http::fetch_text(call).await?;
    let v = js_sys::JSON::parse(&text).map_err(|_| http::ApiError::unexpected())?;
    let started = || {
        Some(Started {
            call_id: string(&v, "callId")?,
            socket_url: string(&v, "socketUrl")?,
            sample_rate: integer(&v, "sampleRate").filter(|r| *r > 0)? as u32,
        })
    };
    started().ok_or_else(http::ApiError::unexpected)
}

#[component]
pub fn VoicePanel(id: ConversationId, line: RwSignal<Option<LiveLine>>) -> impl IntoView {
    let state = WidgetState::get();
    let api = expect_context::<Api>();
    let phase = RwSignal::new(Phase::Asking);
    let speaking = RwSignal::new(false);
    let muted = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let call = StoredValue::new_local(None::<Call>);
    let call_id = StoredValue::new(None::<String>);
    let session = state.contact_session.get_untracked();

    // Ends the call here and on the server; the panel goes.
    let finish = {
        let api = api.clone();
        let session = session.clone();
        move || {
            if let Some(call) = call.try_update_value(Option::take).flatten() {
                call.end();
            }
            line.try_set(None);
            if let (Some(call_id), Some(session)) = (
                call_id.try_update_value(Option::take).flatten(),
                session.clone(),
            ) {
                let api = api.clone();
                spawn_local(async move {
                    let url = format!("{}/v1/conversations/{id}/voice-calls/{call_id}", api.base());
                    let request = Request::new("DELETE", url).bearer(Some(session.expose_secret()));
                    let _ = http::send(request).await;
                });
            }
            state.calling.try_set(false);
        }
    };

    let begin = {
        let finish = finish.clone();
        move || {
            let Some(session) = session.clone() else {
                return;
            };
            let api = api.clone();
            let finish = finish.clone();
            phase.set(Phase::Asking);
            error.set(None);
            spawn_local(async move {
                let Ok(stream) = audio::microphone().await else {
                    phase.try_set(Phase::Blocked);
                    return;
                };
                phase.try_set(Phase::Connecting);
                let started = match start_call(&api, session.expose_secret(), id).await {
                    Ok(started) => started,
                    Err(e) => {
                        audio::release(&stream);
                        error.try_set(Some(e.describe()));
                        phase.try_set(Phase::Failed);
                        return;
                    }
                };
                call_id.try_set_value(Some(started.call_id));
                let heard = move |on: bool| {
                    speaking.try_set(on);
                };
                let ended = {
                    let finish = finish.clone();
                    move || finish()
                };
                match Call::start(
                    stream,
                    &started.socket_url,
                    started.sample_rate,
                    heard,
                    ended,
                )
                .await
                {
                    Ok(live) => {
                        if call.try_set_value(Some(live)).is_none() {
                            phase.try_set(Phase::Live);
                        }
                    }
                    Err(_) => {
                        error.try_set(Some(t(Msg::VoiceUnavailable).to_owned()));
                        phase.try_set(Phase::Failed);
                        finish();
                    }
                }
            });
        }
    };
    begin();
    // Leaving the conversation ends the call.
    on_cleanup({
        let finish = finish.clone();
        move || finish()
    });

    let status = move || {
        t(match phase.get() {
            Phase::Asking => Msg::MicAsking,
            Phase::Blocked => Msg::MicBlocked,
            Phase::Connecting => Msg::VoiceConnecting,
            Phase::Live if speaking.get() => Msg::VoiceSpeaking,
            Phase::Live => Msg::VoiceListening,
            Phase::Failed => Msg::VoiceUnavailable,
        })
    };
    let toggle_mute = move |_| {
        let now = !muted.get_untracked();
        muted.set(now);
        call.with_value(|c| {
            if let Some(c) = c {
                c.set_muted(now);
            }
        });
    };
    let retry = begin.clone();
    let end = finish.clone();
    view! {
        <section class="voice-call" aria-label=t(Msg::VoiceCall) class:speaking=move || speaking.get()>
            <span class="voice-dot" aria-hidden="true"></span>
            <p class="voice-status" role="status">{status}</p>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
            <p class="voice-line" dir="auto">{move || line.get().map(|l| l.text)}</p>
            <div class="voice-actions">
                <Show when=move || phase.get() == Phase::Blocked>
                    <button class="btn secondary" on:click={
                        let retry = retry.clone();
                        move |_| retry()
                    }>{t(Msg::TryAgain)}</button>
                </Show>
                <Show when=move || phase.get() == Phase::Live>
                    <button class="btn secondary" aria-pressed=move || muted.get().to_string() on:click=toggle_mute>
                        {move || t(if muted.get() { Msg::Unmute } else { Msg::Mute })}
                    </button>
                </Show>
                <button class="btn danger" on:click={
                    let end = end.clone();
                    move |_| end()
                }>{t(Msg::EndCall)}</button>
            </div>
        </section>
    }
}
