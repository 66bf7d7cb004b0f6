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
use crate::api::Api;
use crate::state::WidgetState;

/// The call's socket and audio rate, as the server answered.
async fn start_call(api: &Api, session: &str, id: ConversationId) -> Option<(String, String, u32)> {
    let url = format!("{}/v1/conversations/{id}/voice-calls", api.base());
    let call = Request::new("POST", url)
        .bearer(Some(session))
        .body(Body::Empty);
    let v = js_sys::JSON::parse(&http::fetch_text(call).await.ok()?).ok()?;
    let rate = integer(&v, "sampleRate").filter(|r| *r > 0)?;
    Some((string(&v, "callId")?, string(&v, "socketUrl")?, rate as u32))
}

#[component]
pub fn VoicePanel(id: ConversationId, line: RwSignal<Option<String>>) -> impl IntoView {
    let state = WidgetState::get();
    let api = expect_context::<Api>();
    // What the panel says (the phase of the call, or what went wrong), and
    // which buttons it offers. (Signals of types the widget already has:
    // each new type's code would weigh on the module.)
    let status = RwSignal::new(None::<String>);
    let say = move |msg: Msg| drop(status.try_set(Some(t(msg).to_owned())));
    let live = RwSignal::new(false);
    let blocked = RwSignal::new(false);
    let muted = RwSignal::new(false);
    let call = StoredValue::new_local(None::<Call>);
    let session = state.contact_session.get_untracked();
    let call_id = StoredValue::new(None::<String>);

    // Ends the call here and on the server; the panel goes.
    let finish = {
        let api = api.clone();
        let session = session.clone();
        move || {
            if let Some(call) = call.try_update_value(Option::take).flatten() {
                call.end();
            }
            line.try_set(None);
            let ended = call_id.try_update_value(Option::take).flatten();
            if let (Some(call_id), Some(session)) = (ended, session.clone()) {
                let url = format!("{}/v1/conversations/{id}/voice-calls/{call_id}", api.base());
                spawn_local(async move {
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
            let (api, finish, session) = (api.clone(), finish.clone(), session.clone());
            say(Msg::MicAsking);
            blocked.set(false);
            spawn_local(async move {
                let Ok(stream) = audio::microphone().await else {
                    say(Msg::MicBlocked);
                    blocked.try_set(true);
                    return;
                };
                say(Msg::VoiceConnecting);
                let secret = session.as_ref().map(|s| s.expose_secret().to_owned());
                let Some((call_id_now, socket, rate)) =
                    start_call(&api, &secret.unwrap_or_default(), id).await
                else {
                    audio::release(&stream);
                    say(Msg::VoiceUnavailable);
                    return;
                };
                call_id.try_set_value(Some(call_id_now));
                let heard = move |on: bool| {
                    say(if on {
                        Msg::VoiceSpeaking
                    } else {
                        Msg::VoiceListening
                    })
                };
                let ended = finish.clone();
                match Call::start(stream, &socket, rate, heard, ended).await {
                    Ok(started) => {
                        if call.try_set_value(Some(started)).is_none() {
                            say(Msg::VoiceListening);
                            live.try_set(true);
                        }
                    }
                    Err(_) => {
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

    let toggle_mute = move |_| {
        muted.update(|m| *m = !*m);
        call.with_value(|c| c.as_ref().map(|c| c.set_muted(muted.get_untracked())));
    };
    let end = move |_| finish();
    view! {
        <section class="voice-call" aria-label=t(Msg::VoiceCall)>
            <span class="voice-dot" aria-hidden="true"></span>
            <p class="voice-status" role="status">{move || status.get()}</p>
            <p class="voice-line" dir="auto">{move || line.get()}</p>
            <div class="voice-actions">
                {move || if blocked.get() {
                    let begin = begin.clone();
                    view! { <button class="btn secondary" on:click=move |_| begin()>{t(Msg::TryAgain)}</button> }.into_any()
                } else if live.get() {
                    view! {
                        <button class="btn secondary" on:click=toggle_mute>
                            {move || t(if muted.get() { Msg::Unmute } else { Msg::Mute })}
                        </button>
                    }.into_any()
                } else {
                    ().into_any()
                }}
                <button class="btn danger" on:click=end>{t(Msg::EndCall)}</button>
            </div>
        </section>
    }
}
