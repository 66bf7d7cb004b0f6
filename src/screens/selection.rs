//! Selection: start a new conversation, or go to the earlier ones.

use echo_protocol::ErrorCode;
use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::header::Header;
use crate::api::{Api, Describe};
use crate::state::{Screen, WidgetState};

#[component]
pub fn SelectionScreen() -> impl IntoView {
    let state = WidgetState::get();
    let api = expect_context::<Api>();
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    let voice = state
        .config
        .with_untracked(|c| c.as_ref().and_then(|c| c.voice.clone()));
    let (call, phone) = voice.map_or((false, false), |v| (v.call, v.phone_number.is_some()));
    let api = StoredValue::new(api);
    let start = move |by_voice: bool| {
        let api = api.get_value();
        if pending.get_untracked() {
            return;
        }
        let Some(org) = state.organization_id.get_untracked() else {
            return state.fail(t(Msg::UnknownOrganization));
        };
        let Some(session) = state.session_or_auth() else {
            return;
        };
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match api.create_conversation(&session, org).await {
                Ok(created) => {
                    state.calling.try_set(by_voice);
                    state.screen.try_set(Screen::Chat(created.conversation_id));
                }
                Err(e) if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::Forbidden) => {
                    state.session_lost()
                }
                Err(e) if e.is(ErrorCode::NotFound) => state.fail(t(Msg::UnknownOrganization)),
                Err(e) => {
                    error.try_set(Some(e.describe()));
                }
            }
            pending.try_set(false);
        });
    };

    view! {
        <Header/>
        <div class="screen">
            <div class="intro">
                <p class="intro-title">{t(Msg::HowCanWeHelp)}</p>
                <p class="muted">{t(Msg::StartPrompt)}</p>
            </div>
            <div class="actions">
                <button class="btn primary" on:click=move |_| start(false) disabled=move || pending.get()>
                    {move || t(if pending.get() { Msg::Starting } else { Msg::StartChat })}
                </button>
                {call.then(|| view! {
                    <button class="btn secondary" on:click=move |_| start(true) disabled=move || pending.get()>
                        {t(Msg::StartVoiceCall)}
                    </button>
                })}
                {phone.then(|| view! {
                    <button class="btn secondary" on:click=move |_| state.screen.set(Screen::CallUs)>
                        {t(Msg::CallUs)}
                    </button>
                })}
                <button class="btn secondary" on:click=move |_| state.screen.set(Screen::Inbox)>
                    {t(Msg::MyConversations)}
                </button>
            </div>
            <p class="form-error" role="alert">{move || error.get()}</p>
        </div>
    }
}
