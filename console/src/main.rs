//! Echo's operator console: sign in with the organization's operator key
//! (kept in sessionStorage), an inbox with status tabs that updates live, a
//! conversation view with the visitor's details, replies, and resolve /
//! escalate / reopen. Errors appear as toasts.
//!
//! # Layout
//!
//! - `main.rs`: the state ([`Console`]) and the views.
//! - [`api`]: every call to the operator API and its event stream.
//! - [`knowledge`]: the knowledge base page (files, upload, search).

mod api;
mod knowledge;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::{OperatorConversation, OperatorConversationItem, OrganizationInfo};
use echo_protocol::validate::MessageText;
use echo_protocol::{ConversationId, ErrorCode};
use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use api::{Failure, OperatorApi};
use echo_web::{follow, sleep, OpenError, Signal};

const KEY_STORAGE: &str = "echo_operator_key";

fn main() {
    leptos::mount::mount_to_body(App);
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Unresolved,
    Escalated,
    Resolved,
    All,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Unresolved, Tab::Escalated, Tab::Resolved, Tab::All];

    fn label(self) -> &'static str {
        match self {
            Tab::Unresolved => "Unresolved",
            Tab::Escalated => "Escalated",
            Tab::Resolved => "Resolved",
            Tab::All => "All",
        }
    }

    fn status(self) -> Option<ConversationStatus> {
        match self {
            Tab::Unresolved => Some(ConversationStatus::Unresolved),
            Tab::Escalated => Some(ConversationStatus::Escalated),
            Tab::Resolved => Some(ConversationStatus::Resolved),
            Tab::All => None,
        }
    }
}

/// The console's state, provided once.
#[derive(Clone, Copy)]
pub struct Console {
    /// The knowledge base page is shown instead of the inbox.
    knowledge: RwSignal<bool>,
    key: RwSignal<Option<String>>,
    tab: RwSignal<Tab>,
    conversations: RwSignal<Vec<OperatorConversationItem>>,
    /// Bumped to refetch the inbox (after a live event or an action).
    inbox_version: RwSignal<u32>,
    selected: RwSignal<Option<ConversationId>>,
    detail: RwSignal<Option<OperatorConversation>>,
    messages: RwSignal<Vec<Message>>,
    live: RwSignal<bool>,
    toasts: RwSignal<Vec<(u32, String)>>,
    /// The organization's plan: which pro features are usable.
    plan: RwSignal<Option<OrganizationInfo>>,
    /// The assistant is writing a reply in the open conversation.
    assistant_typing: RwSignal<bool>,
}

impl Console {
    fn api(&self) -> Option<OperatorApi> {
        self.key.get_untracked().map(OperatorApi::new)
    }

    fn toast(&self, message: impl Into<String>) {
        let id = js_sys::Math::random().to_bits() as u32;
        self.toasts.update(|t| t.push((id, message.into())));
        let toasts = self.toasts;
        spawn_local(async move {
            sleep(6000).await;
            toasts.update(|t| t.retain(|(i, _)| *i != id));
        });
    }

    /// A failure: a rejected key signs out; anything else is a toast.
    fn fail(&self, failure: Failure) {
        if failure.is(ErrorCode::Unauthorized) {
            self.sign_out();
            self.toast("The operator key was not accepted. Please sign in again.");
        } else {
            self.toast(failure.message);
        }
    }

    fn sign_out(&self) {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(KEY_STORAGE);
        }
        self.selected.set(None);
        self.detail.set(None);
        self.key.set(None);
    }

    /// After events were lost (pruned while disconnected): fetch the inbox
    /// and the open conversation again.
    fn reload(&self) {
        self.refresh_inbox();
        if let Some(id) = self.selected.get_untracked() {
            self.open(id);
        }
    }

    fn refresh_inbox(&self) {
        self.inbox_version.update(|v| *v += 1);
    }

    fn open(&self, id: ConversationId) {
        self.selected.set(Some(id));
        self.assistant_typing.set(false);
        self.detail.set(None);
        self.messages.set(Vec::new());
        let Some(api) = self.api() else { return };
        let console = *self;
        spawn_local(async move {
            let (detail, messages) = (api.conversation(id).await, api.messages(id).await);
            if console.selected.get_untracked() != Some(id) {
                return;
            }
            match (detail, messages) {
                (Ok(detail), Ok(page)) => {
                    console.detail.set(Some(detail));
                    console.messages.set(page.messages);
                }
                (Err(e), _) | (_, Err(e)) => console.fail(e),
            }
        });
    }

    fn apply(&self, event: LiveEvent) {
        let selected = self.selected.get_untracked() == Some(event.conversation_id);
        if let Change::Typing { active } = event.change {
            if selected {
                self.assistant_typing.set(active);
            }
            return;
        }
        if selected {
            match event.change {
                Change::Message { message } => self.messages.update(|list| {
                    if message.role == MessageRole::Assistant {
                        self.assistant_typing.set(false);
                    }
                    if !list.iter().any(|m| m.id == message.id) {
                        list.push(message);
                    }
                }),
                Change::Status { status } => self.detail.update(|d| {
                    if let Some(d) = d {
                        d.status = status;
                    }
                }),
                Change::Typing { .. } => {}
            }
        }
        self.refresh_inbox();
    }

    /// Follows the organization's events for as long as the console lives.
    fn run_stream(&self, abort: web_sys::AbortSignal) {
        let console = *self;
        spawn_local(async move {
            let open = |after| {
                let (api, abort) = (console.api(), abort.clone());
                async move {
                    let Some(api) = api else {
                        return Err(OpenError::Retry);
                    };
                    api.open_events(after, &abort).await.map_err(|e| {
                        if e.is(ErrorCode::Unauthorized) {
                            OpenError::Refused(e)
                        } else {
                            OpenError::Retry
                        }
                    })
                }
            };
            let stopped = || abort.aborted() || console.key.get_untracked().is_none();
            let refused = follow(open, stopped, |signal| match signal {
                Signal::Ready { first } => {
                    console.live.set(true);
                    if !first {
                        console.refresh_inbox();
                    }
                }
                Signal::Event(event) => console.apply(event),
                Signal::Reset => console.reload(),
                Signal::Down => console.live.set(false),
            })
            .await;
            if let Some(error) = refused {
                console.fail(error);
            }
        });
    }
}

#[component]
fn App() -> impl IntoView {
    let console = Console {
        knowledge: RwSignal::new(false),
        key: RwSignal::new(session_storage().and_then(|s| s.get_item(KEY_STORAGE).ok().flatten())),
        tab: RwSignal::new(Tab::Unresolved),
        conversations: RwSignal::new(Vec::new()),
        inbox_version: RwSignal::new(0),
        selected: RwSignal::new(None),
        detail: RwSignal::new(None),
        messages: RwSignal::new(Vec::new()),
        live: RwSignal::new(false),
        toasts: RwSignal::new(Vec::new()),
        plan: RwSignal::new(None),
        assistant_typing: RwSignal::new(false),
    };
    provide_context(console);
    view! {
        {move || if console.key.get().is_some() {
            view! { <Workspace/> }.into_any()
        } else {
            view! { <SignIn/> }.into_any()
        }}
        <div class="toasts" role="status" aria-live="polite">
            <For
                each=move || console.toasts.get()
                key=|(id, _)| *id
                children=|(_, text)| view! { <div class="toast">{text}</div> }
            />
        </div>
    }
}

#[component]
fn SignIn() -> impl IntoView {
    let console = expect_context::<Console>();
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let candidate = key.get_untracked().trim().to_owned();
        if candidate.is_empty() {
            error.set(Some("Enter your organization's operator key.".into()));
            return;
        }
        pending.set(true);
        spawn_local(async move {
            match OperatorApi::new(candidate.clone()).widget_settings().await {
                Ok(_) => {
                    if let Some(storage) = session_storage() {
                        let _ = storage.set_item(KEY_STORAGE, &candidate);
                    }
                    console.key.set(Some(candidate));
                }
                Err(e) if e.is(ErrorCode::Unauthorized) => {
                    error.set(Some("That key was not accepted.".into()))
                }
                Err(e) => console.toast(e.message),
            }
            pending.set(false);
        });
    };
    view! {
        <main class="sign-in">
            <form class="card" on:submit=submit>
                <h1>"Echo console"</h1>
                <p class="muted">"Sign in with your organization's operator key."</p>
                <label for="operator-key">"Operator key"</label>
                <input
                    id="operator-key"
                    type="password"
                    autocomplete="off"
                    placeholder="ok_..."
                    prop:value=move || key.get()
                    on:input=move |ev| key.set(event_target_value(&ev))
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="operator-key-error"
                />
                <p id="operator-key-error" class="error" role="alert">{move || error.get()}</p>
                <button class="primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in..." } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}

#[component]
fn Workspace() -> impl IntoView {
    let console = expect_context::<Console>();
    let controller = web_sys::AbortController::new().ok();
    if let Some(controller) = &controller {
        console.run_stream(controller.signal());
    }
    let controller = SendWrapper::new(controller);
    on_cleanup(move || {
        if let Some(controller) = controller.take() {
            controller.abort();
        }
    });

    if let Some(api) = console.api() {
        spawn_local(async move {
            match api.organization().await {
                Ok(plan) => console.plan.set(Some(plan)),
                Err(e) => console.fail(e),
            }
        });
    }

    // The inbox follows the tab and every live change.
    Effect::new(move |_| {
        let tab = console.tab.get();
        console.inbox_version.track();
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.conversations(tab.status()).await {
                Ok(page) if console.tab.get_untracked() == tab => {
                    console.conversations.set(page.conversations)
                }
                Ok(_) => {}
                Err(e) => console.fail(e),
            }
        });
    });

    view! {
        <header class="topbar">
            <strong>"Echo console"</strong>
            <span class=move || if console.live.get() { "live on" } else { "live" }>
                {move || if console.live.get() { "Live" } else { "Reconnecting..." }}
            </span>
            <button
                class="ghost"
                aria-pressed=move || console.knowledge.get().to_string()
                on:click=move |_| console.knowledge.update(|k| *k = !*k)
            >{move || if console.knowledge.get() { "Inbox" } else { "Knowledge base" }}</button>
            <button class="ghost" on:click=move |_| console.sign_out()>"Sign out"</button>
        </header>
        <Show when=move || console.knowledge.get()>
            <knowledge::KnowledgeView/>
        </Show>
        <div class="layout" class:hidden=move || console.knowledge.get()>
            <aside class="inbox">
                <div class="tabs" role="tablist" aria-label="Status">
                    {Tab::ALL.into_iter().map(|tab| view! {
                        <button
                            role="tab"
                            aria-selected=move || (console.tab.get() == tab).to_string()
                            on:click=move |_| {
                                // No rows of the previous tab while this one loads.
                                if console.tab.get_untracked() != tab {
                                    console.conversations.set(Vec::new());
                                    console.tab.set(tab);
                                }
                            }
                        >{tab.label()}</button>
                    }).collect_view()}
                </div>
                <ul class="list" aria-label="Conversations">
                    <For
                        each=move || console.conversations.get()
                        key=|c| (c.conversation_id, c.last_activity_at, c.status)
                        children=move |c| {
                            let id = c.conversation_id;
                            let preview = c.last_message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
                            view! {
                                <li>
                                    <button
                                        class="item"
                                        class:selected=move || console.selected.get() == Some(id)
                                        on:click=move |_| console.open(id)
                                    >
                                        <span class="item-top">
                                            <strong>{c.visitor_name.clone()}</strong>
                                            <span class=format!("badge {}", c.status.as_str())>{c.status.as_str()}</span>
                                        </span>
                                        <span class="preview">{preview}</span>
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
                <Show when=move || console.conversations.with(Vec::is_empty)>
                    <p class="muted empty">"No conversations here."</p>
                </Show>
            </aside>
            <section class="conversation">
                {move || match console.selected.get() {
                    None => view! { <p class="muted empty">"Select a conversation."</p> }.into_any(),
                    Some(id) => view! { <ConversationView id=id/> }.into_any(),
                }}
            </section>
        </div>
    }
}

#[component]
fn ConversationView(id: ConversationId) -> impl IntoView {
    let console = expect_context::<Console>();
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let status = move || console.detail.with(|d| d.as_ref().map(|d| d.status));
    let enhancing = RwSignal::new(false);
    // Why Enhance cannot be used, if it cannot.
    let enhance_locked = move || {
        console.plan.with(|plan| match plan {
            None => Some("Checking your plan..."),
            Some(p) if !p.subscription_active => {
                Some("Enhance is a Pro feature: your organization has no active subscription.")
            }
            Some(p) if !p.ai_available => Some("No language model is configured on this server."),
            Some(_) => None,
        })
    };
    let enhance = move |_| {
        let Ok(text) = MessageText::parse(&draft.get_untracked()) else {
            return console.toast("Write a draft first; Enhance rewrites it.");
        };
        let Some(api) = console.api() else { return };
        enhancing.set(true);
        spawn_local(async move {
            match api.enhance(text.into_inner()).await {
                Ok(better) => draft.set(better),
                Err(e) => console.fail(e),
            }
            enhancing.set(false);
        });
    };

    let set_status = move |next: ConversationStatus| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.set_status(id, next).await {
                Ok(detail) => {
                    console.detail.set(Some(detail));
                    console.refresh_inbox();
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let send = move || {
        if sending.get_untracked() {
            return;
        }
        let Ok(text) = MessageText::parse(&draft.get_untracked()) else {
            return;
        };
        let Some(api) = console.api() else { return };
        sending.set(true);
        spawn_local(async move {
            match api.reply(id, text.into_inner()).await {
                Ok(message) => {
                    draft.set(String::new());
                    console.messages.update(|list| {
                        if !list.iter().any(|m| m.id == message.id) {
                            list.push(message);
                        }
                    });
                }
                Err(e) if e.is(ErrorCode::Conflict) => {
                    console.toast("This conversation is resolved. Reopen it to reply.")
                }
                Err(e) => console.fail(e),
            }
            sending.set(false);
        });
    };

    view! {
        <Show when=move || console.detail.get().is_some() fallback=|| view! { <p class="muted empty">"Loading..."</p> }>
            {move || console.detail.get().map(|d| {
                let meta = d.visitor.metadata.clone();
                let rows: Vec<(&str, String)> = [
                    ("Email", Some(d.visitor.email.clone())),
                    ("Page", meta.current_url.clone()),
                    ("Referrer", meta.referrer.clone()),
                    ("Timezone", meta.timezone.clone()),
                    ("Languages", (!meta.languages.is_empty()).then(|| meta.languages.join(", "))),
                    ("Screen", meta.screen_width.zip(meta.screen_height).map(|(w, h)| format!("{w} x {h}"))),
                    ("Browser", meta.user_agent.clone()),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
                view! {
                    <div class="conversation-head">
                        <div>
                            <h2>{d.visitor.name.clone()}</h2>
                            <span class=format!("badge {}", d.status.as_str())>{d.status.as_str()}</span>
                        </div>
                        <div class="actions">
                            <Show when=move || status() == Some(ConversationStatus::Unresolved)>
                                <button on:click=move |_| set_status(ConversationStatus::Escalated)>"Escalate"</button>
                            </Show>
                            <Show when=move || status() != Some(ConversationStatus::Resolved)>
                                <button class="primary" on:click=move |_| set_status(ConversationStatus::Resolved)>"Resolve"</button>
                            </Show>
                            <Show when=move || status() == Some(ConversationStatus::Resolved)>
                                <button on:click=move |_| set_status(ConversationStatus::Unresolved)>"Reopen"</button>
                            </Show>
                        </div>
                    </div>
                    <dl class="visitor-details">
                        {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                    </dl>
                }
            })}
            <ol class="messages" aria-label="Messages" aria-live="polite">
                <For
                    each=move || console.messages.get()
                    key=|m| m.id
                    children=|m| {
                        let who = match m.role {
                            MessageRole::Visitor => "Visitor",
                            MessageRole::Assistant => "Assistant",
                            MessageRole::Operator => "You",
                        };
                        view! {
                            <li class=format!("msg {}", m.role.as_str())>
                                <span class="who">{who}</span>
                                <p>{m.text}</p>
                            </li>
                        }
                    }
                />
            </ol>
            <Show when=move || console.assistant_typing.get()>
                <p class="muted typing-note" role="status">"The assistant is writing a reply..."</p>
            </Show>
            <form class="reply" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <label for="reply" class="sr-only">"Reply"</label>
                <textarea
                    id="reply"
                    rows="2"
                    placeholder=move || if status() == Some(ConversationStatus::Resolved) { "Reopen the conversation to reply" } else { "Write a reply... (Enter sends, Shift+Enter for a new line)" }
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            send();
                        }
                    }
                    disabled=move || status() == Some(ConversationStatus::Resolved)
                ></textarea>
                <div class="reply-actions">
                    <button
                        type="button"
                        class="enhance"
                        class:locked=move || enhance_locked().is_some()
                        on:click=enhance
                        disabled=move || enhance_locked().is_some() || enhancing.get()
                        title=move || enhance_locked().unwrap_or("Rewrite the draft: clearer, polite, same meaning")
                        aria-describedby="enhance-reason"
                    >
                        {move || if enhancing.get() { "Enhancing..." } else if enhance_locked().is_some() { "Enhance (Pro)" } else { "Enhance" }}
                    </button>
                    <button class="primary" type="submit" disabled=move || sending.get() || draft.with(|d| d.trim().is_empty())>
                        "Send"
                    </button>
                </div>
                <p id="enhance-reason" class="muted reason">{move || enhance_locked()}</p>
            </form>
        </Show>
    }
}
