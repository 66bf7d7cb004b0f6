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

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::validate::MessageText;
use echo_protocol::{ContactSessionId, ConversationId, ErrorCode};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;
use web_sys::{AbortController, AbortSignal};

use super::header::Header;
use crate::api::{Api, ApiError};
use crate::host;
use crate::markdown::Markdown;
use crate::state::{Screen, WidgetState};
use echo_web::{follow, OpenError, Signal};
/// Pixels from the top that count as "the top is in view".
const TOP_SLACK: i32 = 40;
/// The typing indicator goes away by itself after this long, so a reply
/// that never comes (a server restart mid-answer) does not leave it forever.
const TYPING_TIMEOUT_MS: i32 = 45_000;
/// Pixels from the bottom within which new messages keep the view pinned.
const BOTTOM_SLACK: i32 = 80;

/// Adds `incoming` to `list` in order, skipping messages already present.
pub fn merge(list: &mut Vec<Message>, incoming: Vec<Message>) {
    for message in incoming {
        if !list.iter().any(|m| m.id == message.id) {
            list.push(message);
        }
    }
}

/// Puts an older page in front of `list`, skipping duplicates.
pub fn prepend(list: &mut Vec<Message>, older: Vec<Message>) {
    let mut combined: Vec<Message> = older
        .into_iter()
        .filter(|m| !list.iter().any(|existing| existing.id == m.id))
        .collect();
    combined.append(list);
    *list = combined;
}

/// A fresh idempotency key for a message (not a secret, just unique).
fn new_key() -> String {
    let random = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
    format!(
        "{:x}-{:08x}{:08x}{:08x}",
        js_sys::Date::now() as u64,
        random(),
        random(),
        random()
    )
}

/// A message written while the stream was down, sent when it is back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Queued {
    key: String,
    text: String,
}

#[derive(Clone)]
struct Chat {
    state: WidgetState,
    api: Api,
    session: ContactSessionId,
    id: ConversationId,
    abort: Option<AbortSignal>,
    messages: RwSignal<Vec<Message>>,
    older: RwSignal<Option<String>>,
    loading_older: RwSignal<bool>,
    loaded: RwSignal<bool>,
    /// The stream is connected and past its `ready` frame.
    live: RwSignal<bool>,
    queued: RwSignal<Vec<Queued>>,
    status: RwSignal<ConversationStatus>,
    draft: RwSignal<String>,
    /// The idempotency key of the draft's failed send, reused by Retry.
    draft_key: RwSignal<Option<String>>,
    sending: RwSignal<bool>,
    send_error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    /// The assistant is writing a reply.
    typing: RwSignal<bool>,
    /// Bumped on each `typing` start, so only the latest one's timeout ends it.
    typing_epoch: StoredValue<u32>,
    list: NodeRef<Div>,
}

impl Chat {
    fn resolved(&self) -> bool {
        self.status.get_untracked() == ConversationStatus::Resolved
    }

    /// Errors that end the chat screen; the rest become a quiet notice.
    fn handle(&self, error: ApiError) {
        if error.is(ErrorCode::Unauthorized) {
            self.state.session_lost();
        } else if error.is(ErrorCode::NotFound) {
            self.state.conversation_id.set(None);
            self.state.screen.set(Screen::Selection);
        } else {
            self.notice.set(Some(error.describe()));
        }
    }

    fn near_bottom(&self) -> bool {
        self.list.get_untracked().is_none_or(|el| {
            el.scroll_height() - el.scroll_top() - el.client_height() < BOTTOM_SLACK
        })
    }

    fn scroll_to_bottom(&self) {
        let chat = self.clone();
        request_animation_frame(move || {
            if let Some(el) = chat.list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
            chat.fill_viewport();
        });
    }

    /// While the history does not fill the view its top is visible, so the
    /// next older page is due.
    fn fill_viewport(&self) {
        if let Some(el) = self.list.get_untracked() {
            if el.scroll_height() <= el.client_height() + TOP_SLACK {
                self.load_older();
            }
        }
    }

    fn load_initial(&self) {
        let chat = self.clone();
        spawn_local(async move {
            match chat
                .api
                .conversation(&chat.session, chat.id, chat.abort.as_ref())
                .await
            {
                Ok(view) => chat.status.set(view.status),
                Err(e) => return chat.handle(e),
            }
            match chat
                .api
                .messages(&chat.session, chat.id, None, chat.abort.as_ref())
                .await
            {
                Ok(page) => {
                    chat.messages.update(|list| {
                        let live = std::mem::take(list);
                        *list = page.messages;
                        merge(list, live);
                    });
                    chat.older.set(page.next_cursor);
                    chat.loaded.set(true);
                    chat.scroll_to_bottom();
                }
                Err(e) => chat.handle(e),
            }
        });
    }

    fn aborted(&self) -> bool {
        self.abort.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// Keeps the push stream open for as long as the screen lives.
    fn run_stream(&self) {
        let chat = self.clone();
        spawn_local(async move {
            let open = |after| {
                let chat = chat.clone();
                async move {
                    chat.api
                        .open_events(&chat.session, chat.id, after, chat.abort.as_ref())
                        .await
                        .map_err(|e| {
                            if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::NotFound) {
                                OpenError::Refused(e)
                            } else {
                                OpenError::Retry
                            }
                        })
                }
            };
            let refused = follow(
                open,
                || chat.aborted(),
                |signal| match signal {
                    Signal::Ready { first } => chat.went_live(first),
                    Signal::Event(event) => chat.apply(event),
                    Signal::Down => chat.live.set(false),
                    Signal::Reset => chat.load_initial(),
                },
            )
            .await;
            if let Some(error) = refused {
                chat.handle(error);
            }
        });
    }

    fn went_live(&self, first: bool) {
        self.live.set(true);
        self.notice.set(None);
        if first {
            self.load_initial();
        }
        self.flush_queue();
    }

    fn apply(&self, event: LiveEvent) {
        match event.change {
            Change::Message { message } => {
                if message.role != MessageRole::Visitor {
                    host::note_incoming();
                }
                if message.role == MessageRole::Assistant {
                    self.typing.set(false);
                }
                let pinned = self.near_bottom();
                self.messages.update(|list| merge(list, vec![message]));
                if pinned {
                    self.scroll_to_bottom();
                }
            }
            Change::Status { status } => self.status.set(status),
            Change::Typing { active } => self.set_typing(active),
        }
    }

    fn set_typing(&self, active: bool) {
        self.typing.set(active);
        if !active {
            return;
        }
        let pinned = self.near_bottom();
        self.typing_epoch.update_value(|e| *e += 1);
        let epoch = self.typing_epoch.get_value();
        let chat = self.clone();
        spawn_local(async move {
            echo_web::sleep(TYPING_TIMEOUT_MS).await;
            if chat.typing_epoch.get_value() == epoch {
                chat.typing.set(false);
            }
        });
        if pinned {
            self.scroll_to_bottom();
        }
    }

    /// Sends what was written offline, in order, each once.
    fn flush_queue(&self) {
        let chat = self.clone();
        spawn_local(async move {
            while let Some(next) = chat.queued.with_untracked(|q| q.first().cloned()) {
                if !chat.live.get_untracked() || chat.resolved() {
                    return;
                }
                match chat
                    .api
                    .send_message(&chat.session, chat.id, next.text.clone(), next.key.clone())
                    .await
                {
                    Ok(message) => {
                        chat.queued.update(|q| q.retain(|m| m.key != next.key));
                        chat.messages.update(|list| merge(list, vec![message]));
                        chat.scroll_to_bottom();
                    }
                    Err(e) if e.is(ErrorCode::Conflict) => {
                        chat.status.set(ConversationStatus::Resolved);
                        return;
                    }
                    Err(ApiError::Network) => return,
                    Err(e) => {
                        chat.queued.update(|q| q.retain(|m| m.key != next.key));
                        chat.send_error.set(Some(e.describe()));
                    }
                }
            }
        });
    }

    fn load_older(&self) {
        if self.loading_older.get_untracked() {
            return;
        }
        let Some(cursor) = self.older.get_untracked() else {
            return;
        };
        self.loading_older.set(true);
        let chat = self.clone();
        spawn_local(async move {
            let before = chat
                .list
                .get_untracked()
                .map(|el| (el.scroll_height(), el.scroll_top()));
            match chat
                .api
                .messages(&chat.session, chat.id, Some(&cursor), chat.abort.as_ref())
                .await
            {
                Ok(page) => {
                    chat.messages.update(|list| prepend(list, page.messages));
                    chat.older.set(page.next_cursor);
                    let after = chat.clone();
                    request_animation_frame(move || {
                        // Keep the message the visitor was reading in place.
                        if let (Some(el), Some((height, top))) =
                            (after.list.get_untracked(), before)
                        {
                            el.set_scroll_top(el.scroll_height() - height + top);
                        }
                        after.loading_older.set(false);
                        after.fill_viewport();
                    });
                }
                Err(e) => {
                    chat.loading_older.set(false);
                    chat.handle(e);
                }
            }
        });
    }

    fn send(&self, raw: String) {
        if self.sending.get_untracked() || self.resolved() {
            return;
        }
        let Ok(text) = MessageText::parse(&raw) else {
            if !raw.trim().is_empty() {
                self.send_error
                    .set(Some("Messages can be at most 4000 characters.".into()));
            }
            return;
        };
        let key = self.draft_key.get_untracked().unwrap_or_else(new_key);
        if !self.live.get_untracked() {
            self.queued.update(|q| {
                q.push(Queued {
                    key,
                    text: text.into_inner(),
                })
            });
            self.draft.set(String::new());
            self.draft_key.set(None);
            self.send_error.set(None);
            self.scroll_to_bottom();
            return;
        }
        self.draft.set(raw);
        self.draft_key.set(Some(key.clone()));
        self.sending.set(true);
        self.send_error.set(None);
        let chat = self.clone();
        spawn_local(async move {
            match chat
                .api
                .send_message(&chat.session, chat.id, text.into_inner(), key)
                .await
            {
                Ok(message) => {
                    chat.messages.update(|list| merge(list, vec![message]));
                    chat.draft.set(String::new());
                    chat.draft_key.set(None);
                    chat.scroll_to_bottom();
                }
                Err(e) if e.is(ErrorCode::Conflict) => {
                    chat.status.set(ConversationStatus::Resolved)
                }
                Err(e) if e.is(ErrorCode::Unauthorized) || e.is(ErrorCode::NotFound) => {
                    chat.handle(e)
                }
                Err(e) => chat.send_error.set(Some(e.describe())),
            }
            chat.sending.set(false);
        });
    }
}

fn role_label(role: MessageRole) -> &'static str {
    match role {
        MessageRole::Visitor => "You",
        MessageRole::Assistant => "Assistant",
        MessageRole::Operator => "Support team",
    }
}

fn message_view(message: Message) -> impl IntoView {
    let role = message.role;
    let class = format!("msg {}", role.as_str());
    let body = if role == MessageRole::Visitor {
        view! { <div class="bubble plain">{message.text}</div> }.into_any()
    } else {
        view! { <Markdown text=message.text class="bubble"/> }.into_any()
    };
    view! {
        <li class=class>
            <span class="sender" class:sr-only=role == MessageRole::Visitor>{role_label(role)}</span>
            {body}
        </li>
    }
}

#[component]
pub fn ChatScreen() -> impl IntoView {
    let state = WidgetState::get();
    let api = expect_context::<Api>();
    let (Some(id), Some(session)) = (
        state.conversation_id.get_untracked(),
        state.contact_session.get_untracked(),
    ) else {
        request_animation_frame(move || state.screen.set(Screen::Selection));
        return ().into_any();
    };

    let controller = AbortController::new().ok();
    let chat = Chat {
        state,
        api,
        session,
        id,
        abort: controller.as_ref().map(AbortController::signal),
        messages: RwSignal::new(Vec::new()),
        older: RwSignal::new(None),
        loading_older: RwSignal::new(false),
        loaded: RwSignal::new(false),
        live: RwSignal::new(false),
        queued: RwSignal::new(Vec::new()),
        status: RwSignal::new(ConversationStatus::Unresolved),
        draft: RwSignal::new(String::new()),
        draft_key: RwSignal::new(None),
        sending: RwSignal::new(false),
        send_error: RwSignal::new(None),
        notice: RwSignal::new(None),
        typing: RwSignal::new(false),
        typing_epoch: StoredValue::new(0),
        list: NodeRef::new(),
    };
    chat.run_stream();
    // Waiting for the first connection is normal; a later drop is worth a word.
    let reconnecting = {
        let chat = chat.clone();
        move || chat.loaded.get() && !chat.live.get()
    };
    let controller = SendWrapper::new(controller);
    on_cleanup(move || {
        if let Some(controller) = controller.take() {
            controller.abort();
        }
    });

    let messages = chat.messages;
    let status = chat.status;
    let draft = chat.draft;
    let sending = chat.sending;
    let resolved = move || status.get() == ConversationStatus::Resolved;
    let suggestions = move || {
        let only_greeting = messages.with(|m| m.len() == 1 && m[0].role == MessageRole::Assistant);
        if !only_greeting || resolved() {
            return Vec::new();
        }
        state
            .config
            .with(|c| c.as_ref().map(|c| c.suggestions.clone()))
            .unwrap_or_default()
    };
    let on_scroll = {
        let chat = chat.clone();
        move |_| {
            if chat
                .list
                .get_untracked()
                .is_some_and(|el| el.scroll_top() < TOP_SLACK)
            {
                chat.load_older();
            }
        }
    };
    let on_keydown = {
        let chat = chat.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                ev.prevent_default();
                chat.send(draft.get_untracked());
            }
        }
    };
    let on_submit = {
        let chat = chat.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            chat.send(draft.get_untracked());
        }
    };
    let retry = {
        let chat = chat.clone();
        move |_| chat.send(draft.get_untracked())
    };
    let chip_chat = chat.clone();

    view! {
        <Header
            subtitle="We typically reply in a few minutes"
            on_back=Callback::new(move |()| {
                state.conversation_id.set(None);
                state.screen.set(Screen::Selection);
            })
        />
        <div class="chat">
            <div class="messages" node_ref=chat.list on:scroll=on_scroll>
                <Show when=move || chat.loading_older.get()>
                    <p class="muted center-text" role="status">"Loading earlier messages..."</p>
                </Show>
                <Show when=move || !chat.loaded.get()>
                    <div class="spinner" role="status" aria-label="Loading messages"></div>
                </Show>
                <ol class="message-list" role="log" aria-live="polite" aria-label="Messages">
                    <For each=move || messages.get() key=|m| m.id children=message_view/>
                    <For
                        each=move || chat.queued.get()
                        key=|q| q.key.clone()
                        children=|q| view! {
                            <li class="msg visitor queued">
                                <span class="sender">"Waiting for connection"</span>
                                <div class="bubble plain">{q.text}</div>
                            </li>
                        }
                    />
                    <Show when=move || chat.typing.get() && !resolved()>
                        <li class="msg assistant typing" aria-label="The assistant is typing">
                            <div class="bubble"><span></span><span></span><span></span></div>
                        </li>
                    </Show>
                </ol>
                <div class="chips" role="group" aria-label="Suggestions">
                    <For
                        each=suggestions
                        key=|s| s.clone()
                        children=move |s| {
                            let chat = chip_chat.clone();
                            let text = s.clone();
                            view! {
                                <button class="chip" on:click=move |_| chat.send(text.clone())>{s}</button>
                            }
                        }
                    />
                </div>
            </div>
            <Show when=reconnecting>
                <p class="notice" role="status">"Reconnecting..."</p>
            </Show>
            <Show when=move || chat.notice.get().is_some()>
                <p class="notice" role="status">{move || chat.notice.get()}</p>
            </Show>
            <Show when=resolved>
                <p class="resolved" role="status">"This conversation has been resolved."</p>
            </Show>
            <Show when=move || chat.send_error.get().is_some()>
                <div class="send-error" role="alert">
                    <span>{move || chat.send_error.get()}</span>
                    <button class="link-btn" on:click=retry.clone()>"Retry"</button>
                </div>
            </Show>
            <form class="composer" on:submit=on_submit>
                <label for="echo-message" class="sr-only">"Message"</label>
                <textarea
                    id="echo-message"
                    rows="1"
                    placeholder=move || if resolved() { "This conversation is closed" } else { "Write a message..." }
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_keydown
                    disabled=resolved
                ></textarea>
                <button
                    class="send-btn"
                    type="submit"
                    aria-label="Send message"
                    disabled=move || resolved() || sending.get() || draft.with(|d| d.trim().is_empty())
                >
                    <span aria-hidden="true">"\u{27A4}"</span>
                </button>
            </form>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::{MessageId, Timestamp};

    fn message(n: u128) -> Message {
        Message {
            id: MessageId::from_uuid(uuid_from(n)),
            role: MessageRole::Visitor,
            text: format!("m{n}"),
            created_at: Timestamp(n as i64),
        }
    }

    fn uuid_from(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }

    #[test]
    fn merge_skips_known_messages() {
        let mut list = vec![message(1), message(2)];
        merge(&mut list, vec![message(2), message(3)]);
        assert_eq!(list, [message(1), message(2), message(3)]);
    }

    #[test]
    fn prepend_keeps_order_and_skips_duplicates() {
        let mut list = vec![message(3), message(4)];
        prepend(&mut list, vec![message(1), message(2), message(3)]);
        assert_eq!(list, [message(1), message(2), message(3), message(4)]);
    }
}
