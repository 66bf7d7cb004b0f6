//! Chat: the conversation's messages (visitor, assistant and operator styled
//! apart), a send box, the greeting's suggestion chips, older messages loaded
//! when the top scrolls into view, and live updates from the push channel.
//!
//! The stream is opened first; its `ready` frame says it is live, and only
//! then is the history fetched, so nothing falls between the two. After a
//! drop it reconnects with backoff, resuming after the last position seen,
//! while a quiet notice says so. What the visitor sends meanwhile waits in a
//! queue and goes out, once, when the stream is back (each message carries
//! an idempotency key, so a retry never duplicates it).
//!
//! This file is the view; [`controller`] holds the state and behaviour.

mod controller;
mod pieces;
mod rating;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::ConversationId;
use echo_web::i18n::{t, tf, Msg};
use echo_web::markdown::Markdown;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use web_sys::AbortController;

use super::header::Header;
use crate::api::Api;
use crate::state::WidgetState;
use controller::Chat;

fn role_label(role: MessageRole) -> &'static str {
    t(match role {
        MessageRole::Visitor => Msg::You,
        MessageRole::Assistant => Msg::Assistant,
        MessageRole::Operator | MessageRole::Note => Msg::SupportTeam,
    })
}

/// Who wrote the message: an operator's reply shows their name (and their
/// initial as an avatar, drawn by CSS from `data-initial` so the view stays
/// one element).
fn sender(role: MessageRole, author: Option<String>) -> (String, Option<String>) {
    match author.filter(|_| role == MessageRole::Operator) {
        Some(name) => {
            // CSS uppercases it: Rust's `to_uppercase` would ship Unicode's
            // case tables in the wasm (about 4 KB).
            let initial = name.chars().next().map(String::from);
            (name, initial)
        }
        None => (role_label(role).to_owned(), None),
    }
}

fn message_view(message: Message) -> impl IntoView {
    let role = message.role;
    let class = format!(
        "msg {}{}",
        role.as_str(),
        if message.voice { " voice" } else { "" }
    );
    let (sender, initial) = sender(role, message.author_name);
    let body = if message.text.is_empty() {
        ().into_any()
    } else if role == MessageRole::Visitor {
        view! { <div class="bubble plain" dir="auto">{message.text}</div> }.into_any()
    } else {
        view! { <Markdown text=message.text class="bubble"/> }.into_any()
    };
    let files = (!message.attachments.is_empty()).then(|| {
        view! { <div class="files">{message.attachments.into_iter().map(echo_web::files::attachment_view).collect_view()}</div> }
    });
    view! {
        <li class=class>
            <span class="sender" class:sr-only=role == MessageRole::Visitor data-initial=initial>{sender}</span>
            {body}
            {files}
        </li>
    }
}

/// The chat with conversation `id`; the visitor's session is known (the
/// screen is entered only from one that has it).
#[component]
pub fn ChatScreen(id: ConversationId) -> impl IntoView {
    let state = WidgetState::get();
    let Some(session) = state.session_or_auth() else {
        return ().into_any();
    };
    let controller = AbortController::new().ok();
    let chat = Chat::new(
        state,
        expect_context::<Api>(),
        session,
        id,
        controller.as_ref().map(AbortController::signal),
    );
    chat.start();
    let controller = SendWrapper::new(controller);
    on_cleanup(move || {
        if let Some(controller) = controller.take() {
            controller.abort();
        }
    });

    let messages = chat.messages;
    let draft = chat.draft;
    let sending = chat.sending;
    let status = chat.status;
    let resolved = move || status.get() == ConversationStatus::Resolved;
    let reconnecting = {
        let chat = chat.clone();
        move || chat.reconnecting()
    };
    let suggestions = {
        let chat = chat.clone();
        move || chat.suggestions()
    };
    let on_scroll = {
        let chat = chat.clone();
        move |_| chat.scrolled()
    };
    let on_keydown = {
        let chat = chat.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                ev.prevent_default();
                chat.send_draft();
            }
        }
    };
    let typing_chat = chat.clone();
    let on_submit = {
        let chat = chat.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            chat.send_draft();
        }
    };
    let retry = {
        let chat = chat.clone();
        move |_| chat.send_draft()
    };
    let transcripts = move || {
        state
            .config
            .with(|c| c.as_ref().is_some_and(|c| c.transcripts))
    };
    let email = {
        let chat = chat.clone();
        move |_| chat.email_transcript()
    };
    let attach_files = {
        let chat = chat.clone();
        move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            chat.attach(input.files());
            input.set_value("");
        }
    };
    let on_drop = {
        let chat = chat.clone();
        move |ev: leptos::ev::DragEvent| {
            ev.prevent_default();
            chat.attach(ev.data_transfer().and_then(|d| d.files()));
        }
    };
    let on_paste = {
        let chat = chat.clone();
        move |ev: leptos::ev::ClipboardEvent| {
            let files = ev.clipboard_data().and_then(|d| d.files());
            if files.as_ref().is_some_and(|f| f.length() > 0) {
                ev.prevent_default();
                chat.attach(files);
            }
        }
    };
    let files = chat.files;
    let chip_chat = chat.clone();
    let back_chat = chat.clone();
    let rating_chat = chat.clone();
    let voice_line = chat.voice_line;

    view! {
        <Header
            on_back=Callback::new(move |()| back_chat.leave())
        />
        <Show when=move || state.calling.get()>
            {crate::later::voice_panel(id, voice_line)}
        </Show>
        <div class="chat" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            // Focusable, so the keyboard can scroll it (axe: scrollable-region-focusable).
            <div class="messages" tabindex="0" node_ref=chat.list on:scroll=on_scroll>
                <Show when=move || chat.loading_older.get()>
                    <p class="muted center-text" role="status">{t(Msg::LoadingEarlier)}</p>
                </Show>
                <Show when=move || !chat.loaded.get()>
                    <div class="spinner" role="status" aria-label=t(Msg::LoadingMessages)></div>
                </Show>
                // The live region wraps the list: `role="log"` on the `ol` itself would
                // take away its list semantics (axe: aria-allowed-role, listitem).
                <div role="log" aria-live="polite" aria-label=t(Msg::Messages)>
                <ol class="message-list">
                    <For each=move || messages.get() key=|m| m.id children=message_view/>
                    // Unkeyed lists where they are short and rarely change: a
                    // keyed `<For>` costs the wasm about 0.5 KB more each.
                    {move || chat.queued.get().into_iter().map(|q| view! {
                        <li class="msg visitor queued">
                            <span class="sender">{t(Msg::WaitingForConnection)}</span>
                            <div class="bubble plain" dir="auto">{q.text}</div>
                        </li>
                    }).collect_view()}
                    <Show when=move || chat.typing.get() && !resolved()>
                        {move || match chat.typist.get() {
                            // An operator: their name, said in words.
                            Some(name) => view! {
                                <li class="msg operator typing">
                                    <span class="sender">{tf(Msg::IsTyping, &name)}</span>
                                    <div class="bubble"><span></span><span></span><span></span></div>
                                </li>
                            }.into_any(),
                            None => view! {
                                <li class="msg assistant typing" aria-label=t(Msg::Typing)>
                                    <div class="bubble"><span></span><span></span><span></span></div>
                                </li>
                            }.into_any(),
                        }}
                    </Show>
                </ol>
                </div>
                <div class="chips" role="group" aria-label=t(Msg::Suggestions)>
                    {move || suggestions().into_iter().map(|s| {
                        let chat = chip_chat.clone();
                        let text = s.clone();
                        view! {
                            <button class="chip" on:click=move |_| chat.send(text.clone())>{s}</button>
                        }
                    }).collect_view()}
                </div>
            </div>
            <Show when=reconnecting>
                <p class="notice" role="status">{t(Msg::Reconnecting)}</p>
            </Show>
            <Show when=move || chat.notice.get().is_some()>
                <p class="notice" role="status">{move || chat.notice.get()}</p>
            </Show>
            <Show when=resolved>
                <p class="resolved" role="status">{t(Msg::Resolved)}</p>
            </Show>
            <rating::Rating chat=rating_chat/>
            <Show when=transcripts>
                <button class="link-btn transcript" on:click=email.clone()>{t(Msg::EmailTranscript)}</button>
            </Show>
            <Show when=move || chat.send_error.get().is_some()>
                <div class="send-error" role="alert">
                    <span>{move || chat.send_error.get()}</span>
                    <button class="link-btn" on:click=retry.clone()>{t(Msg::Retry)}</button>
                </div>
            </Show>
            <echo_web::files::PendingFiles files=files/>
            <form class="composer" on:submit=on_submit>
                <label class="icon-btn attach" class:hidden=resolved title=t(Msg::AttachFile)>
                    <input type="file" multiple class="sr-only" aria-label=t(Msg::AttachFile) on:change=attach_files/>
                    // A paper clip drawn as a path: the emoji is missing from many fonts.
                    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                        <path d="M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4L15.5 7.6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
                    </svg>
                </label>
                <label for="echo-message" class="sr-only">{t(Msg::Message)}</label>
                <textarea
                    id="echo-message"
                    rows="1"
                    placeholder=move || t(if resolved() { Msg::Closed } else { Msg::WriteMessage })
                    prop:value=move || draft.get()
                    on:input={
                        let chat = typing_chat;
                        move |ev| {
                            draft.set(event_target_value(&ev));
                            chat.typed();
                        }
                    }
                    on:keydown=on_keydown
                    on:paste=on_paste
                    disabled=resolved
                ></textarea>
                <button
                    class="send-btn"
                    type="submit"
                    aria-label=t(Msg::Send)
                    disabled=move || {
                        resolved() || sending.get() || files.uploading()
                            || (draft.with(|d| d.trim().is_empty())
                                && files.pending.with(|p| !p.iter().any(|f| matches!(f.state, echo_web::files::State::Ready(_)))))
                    }
                >
                    <span aria-hidden="true">"\u{27A4}"</span>
                </button>
            </form>
        </div>
    }
    .into_any()
}
