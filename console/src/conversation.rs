//! One conversation: the visitor's details, who it is assigned to (assign
//! to me, to a teammate, unassign), the messages (assistant and operator
//! ones rendered as markdown, as the widget does, each operator message
//! with its author), the reply box with Enhance, and resolve / escalate /
//! reopen.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::MessageRole;
use echo_protocol::validate::MessageText;
use echo_protocol::{ConversationId, ErrorCode, OperatorId};
use echo_web::files::{attachment_view, Files, PendingFiles, State};
use echo_web::list::merge;
use echo_web::markdown::Markdown;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

/// A time in the operator's locale and timezone.
fn local_time(at: echo_protocol::Timestamp) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.millis() as f64));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[component]
pub fn ConversationView(console: Console, id: ConversationId) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let status = move || {
        console
            .open
            .with(|o| o.as_ref().and_then(|o| o.detail.as_ref()).map(|d| d.status))
    };
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
                    console.update_open(id, |o| o.detail = Some(detail));
                    console.refresh_inbox();
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let assign = move |assignee: Option<OperatorId>| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.assign(id, assignee).await {
                Ok(detail) => {
                    console.update_open(id, |o| o.detail = Some(detail));
                    console.refresh_inbox();
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let assignee = move || {
        console.open.with(|o| {
            o.as_ref()
                .and_then(|o| o.detail.as_ref())
                .and_then(|d| d.assignee.clone())
        })
    };
    let files = Files::new();
    let attach = move |list: Option<web_sys::FileList>| {
        let (Some(list), Some(api)) = (list, console.api()) else {
            return;
        };
        let (url, bearer) = api.upload_target(id);
        files.add(list, &url, bearer);
    };
    let send = move || {
        if sending.get_untracked() || files.uploading() {
            return;
        }
        let ready = files.ready();
        let raw = draft.get_untracked();
        let text = match MessageText::parse(&raw) {
            Ok(text) => text.into_inner(),
            Err(_) if raw.trim().is_empty() && !ready.is_empty() => String::new(),
            Err(_) => return,
        };
        let Some(api) = console.api() else { return };
        sending.set(true);
        spawn_local(async move {
            match api.reply(id, text, ready.clone()).await {
                Ok(message) => {
                    files.sent(&ready);
                    draft.set(String::new());
                    console.update_open(id, |o| merge(&mut o.messages, vec![message]));
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
        <Show when=move || console.detail().is_some() fallback=|| view! { <p class="muted empty">"Loading..."</p> }>
            {move || console.detail().map(|d| {
                let meta = d.visitor.metadata.clone();
                let rows: Vec<(&str, String)> = [
                    ("Email", Some(d.visitor.email.clone())),
                    ("Page", meta.current_url.clone()),
                    ("Referrer", meta.referrer.clone()),
                    ("Timezone", meta.timezone.clone()),
                    ("Languages", (!meta.languages.is_empty()).then(|| meta.languages.join(", "))),
                    ("Screen", meta.screen_width.zip(meta.screen_height).map(|(w, h)| format!("{w} x {h}"))),
                    ("Browser", meta.user_agent.clone()),
                    ("Last emailed", d.visitor_mailed_at.map(local_time)),
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
                    <div class="assignment">
                        <span>{move || match assignee() {
                            Some(a) if Some(a.operator_id) == console.me() => "Assigned to you".to_owned(),
                            Some(a) => format!("Assigned to {}", a.name),
                            None => "Unassigned".to_owned(),
                        }}</span>
                        <Show when=move || console.me().is_some() && assignee().map(|a| a.operator_id) != console.me()>
                            <button on:click=move |_| assign(console.me())>"Assign to me"</button>
                        </Show>
                        <Show when=move || console.is_admin() && !console.team.with(Vec::is_empty)>
                            <label class="sr-only" for="assignee">"Assign to"</label>
                            <select id="assignee" on:change=move |ev| {
                                let value = event_target_value(&ev);
                                assign(OperatorId::parse(&value));
                            }>
                                <option value="" selected=move || assignee().is_none()>"Assign to..."</option>
                                {move || console.team.get().into_iter().map(|m| {
                                    let member = m.operator_id;
                                    view! {
                                        <option value=member.to_string() selected=move || assignee().map(|a| a.operator_id) == Some(member)>{m.name}</option>
                                    }
                                }).collect_view()}
                            </select>
                        </Show>
                        <Show when=move || assignee().is_some()>
                            <button on:click=move |_| assign(None)>"Unassign"</button>
                        </Show>
                    </div>
                    <dl class="visitor-details">
                        {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                    </dl>
                }
            })}
            // Focusable, so the keyboard can scroll it (axe: scrollable-region-focusable).
            <ol class="messages" aria-label="Messages" aria-live="polite" tabindex="0">
                <For
                    each=move || console.open.with(|o| o.as_ref().map(|o| o.messages.clone()).unwrap_or_default())
                    key=|m| m.id
                    children=move |m| {
                        let me = console.me();
                        let who = match m.role {
                            MessageRole::Visitor => "Visitor".to_owned(),
                            MessageRole::Assistant => "Assistant".to_owned(),
                            MessageRole::Operator => match &m.author {
                                Some(author) if author.operator_id.is_some() && author.operator_id == me => "You".to_owned(),
                                Some(author) => author.name.clone(),
                                None => "Operator".to_owned(),
                            },
                        };
                        let body = if m.text.is_empty() {
                            ().into_any()
                        } else if m.role == MessageRole::Visitor {
                            view! { <p class="body">{m.text}</p> }.into_any()
                        } else {
                            view! { <Markdown text=m.text class="body"/> }.into_any()
                        };
                        let attached = (!m.attachments.is_empty()).then(|| view! {
                            <div class="files">{m.attachments.into_iter().map(attachment_view).collect_view()}</div>
                        });
                        view! {
                            <li class=format!("msg {}", m.role.as_str())>
                                <span class="who">{who}</span>
                                {body}
                                {attached}
                            </li>
                        }
                    }
                />
            </ol>
            <Show when=move || console.open.with(|o| o.as_ref().is_some_and(|o| o.assistant_typing))>
                <p class="muted typing-note" role="status">"The assistant is writing a reply..."</p>
            </Show>
            <form
                class="reply"
                on:submit=move |ev| { ev.prevent_default(); send(); }
                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    attach(ev.data_transfer().and_then(|d| d.files()));
                }
            >
                <PendingFiles files=files/>
                <label for="reply" class="sr-only">"Reply"</label>
                <textarea
                    id="reply"
                    rows="2"
                    placeholder=move || if status() == Some(ConversationStatus::Resolved) { "Reopen the conversation to reply" } else { "Write a reply... (Enter sends, Shift+Enter for a new line)" }
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:paste=move |ev: leptos::ev::ClipboardEvent| {
                        let list = ev.clipboard_data().and_then(|d| d.files());
                        if list.as_ref().is_some_and(|l| l.length() > 0) {
                            ev.prevent_default();
                            attach(list);
                        }
                    }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            send();
                        }
                    }
                    disabled=move || status() == Some(ConversationStatus::Resolved)
                ></textarea>
                <div class="reply-actions">
                    <label class="button attach" title="Attach a file">
                        <input type="file" multiple class="sr-only" aria-label="Attach a file" on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            attach(input.files());
                            input.set_value("");
                        }/>
                        "Attach"
                    </label>
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
                    <button class="primary" type="submit" disabled=move || {
                        sending.get() || files.uploading()
                            || (draft.with(|d| d.trim().is_empty())
                                && files.pending.with(|p| !p.iter().any(|f| matches!(f.state, State::Ready(_)))))
                    }>
                        "Send"
                    </button>
                </div>
                <p id="enhance-reason" class="muted reason">{move || enhance_locked()}</p>
            </form>
        </Show>
    }
}
