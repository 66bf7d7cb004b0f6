//! Inbox: the visitor's conversations, newest first, with the last message,
//! when it was, and the status; opening one goes to chat.

use echo_protocol::conversations::{ConversationListItem, ConversationStatus};
use echo_protocol::ErrorCode;
use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::header::Header;
use crate::api::{Api, Describe};
use crate::state::{Screen, WidgetState};
use crate::time_ago;

pub fn status_label(status: ConversationStatus) -> &'static str {
    t(match status {
        ConversationStatus::Unresolved => Msg::StatusOpen,
        ConversationStatus::Escalated => Msg::StatusEscalated,
        ConversationStatus::Resolved => Msg::StatusResolved,
    })
}

#[component]
pub fn InboxScreen() -> impl IntoView {
    let state = WidgetState::get();
    let api = StoredValue::new(expect_context::<Api>());
    let conversations = RwSignal::new(Vec::<ConversationListItem>::new());
    let cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let now = js_sys::Date::now() as i64;

    let load_page = move || {
        if loading.get_untracked() {
            return;
        }
        let Some(session) = state.session_or_auth() else {
            return;
        };
        loading.set(true);
        let api = api.get_value();
        let after = cursor.get_untracked();
        spawn_local(async move {
            match api.conversations(&session, after.as_deref()).await {
                Ok(page) => {
                    conversations.try_update(|list| list.extend(page.conversations));
                    cursor.try_set(page.next_cursor);
                    error.try_set(None);
                }
                Err(e) if e.is(ErrorCode::Unauthorized) => state.session_lost(),
                Err(e) => {
                    error.try_set(Some(e.describe()));
                }
            }
            loading.try_set(false);
        });
    };
    load_page();

    let open = move |id| {
        state.screen.set(Screen::Chat(id));
    };

    view! {
        <Header
            subtitle=Msg::YourConversations
            on_back=Callback::new(move |()| state.screen.set(Screen::Selection))
        />
        <div class="screen scroll">
            <ul class="inbox" aria-label=t(Msg::Conversations) aria-busy=move || loading.get().to_string()>
                {move || conversations.get().into_iter().map(|c| {
                        let id = c.conversation_id;
                        let (preview, when) = match &c.last_message {
                            // Only a message of files alone has no text.
                            Some(m) if m.text.is_empty() => (t(Msg::SentFile).to_owned(), m.created_at.millis()),
                            Some(m) => (m.text.clone(), m.created_at.millis()),
                            None => (t(Msg::NoMessages).to_owned(), c.created_at.millis()),
                        };
                        let status_class = format!("badge {}", c.status.as_str());
                        view! {
                            <li>
                                <button class="inbox-item" on:click=move |_| open(id)>
                                    <span class="inbox-preview" dir="auto">{preview}</span>
                                    <span class="inbox-meta">
                                        <span class=status_class>{status_label(c.status)}</span>
                                        <span class="muted">{time_ago::relative(now, when)}</span>
                                    </span>
                                </button>
                            </li>
                        }
                }).collect_view()}
            </ul>
            <Show when=move || !loading.get() && error.get().is_none() && conversations.with(Vec::is_empty)>
                <p class="empty muted">{t(Msg::NoConversations)}</p>
            </Show>
            <Show when=move || loading.get()>
                <p class="muted center-text" role="status">{t(Msg::Loading)}</p>
            </Show>
            <Show when=move || cursor.get().is_some() && !loading.get()>
                <button class="btn secondary" on:click=move |_| load_page()>{t(Msg::LoadMore)}</button>
            </Show>
            <p class="form-error" role="alert">{move || error.get()}</p>
        </div>
    }
}
