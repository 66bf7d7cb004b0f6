//! One conversation: the visitor's name, status and labels, who it is
//! assigned to (assign to me, to a teammate, unassign), the messages
//! (assistant and operator ones rendered as markdown, as the widget does,
//! each operator message with its author; private notes set apart), who
//! is typing, the reply box (`composer`) and, beside it all, who the
//! visitor is (`context`).

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::{ConversationId, OperatorId};
use echo_web::files::attachment_view;
use echo_web::markdown::Markdown;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::composer::Composer;
use crate::context::ContextPanel;
use crate::labels::LabelPicker;
use crate::state::Console;
use crate::time::local_time;

/// One message of the timeline. A note is the team's: marked as such,
/// never styled as a bubble the visitor would see.
fn message_view(console: Console, m: Message) -> impl IntoView {
    let me = console.me_untracked();
    let author = |fallback: &str| match &m.author {
        Some(a) if a.operator_id.is_some() && a.operator_id == me => "You".to_owned(),
        Some(a) => a.name.clone(),
        None => fallback.to_owned(),
    };
    let said = if m.voice { " (voice call)" } else { "" };
    let who = match m.role {
        MessageRole::Visitor => format!("Visitor{said}"),
        MessageRole::Assistant => format!("Assistant{said}"),
        MessageRole::Operator => author("Operator"),
        MessageRole::Note => format!("Private note by {}", author("the team")),
    };
    let mentions_me = me.is_some_and(|me| m.mentions.contains(&me));
    let body = if m.text.is_empty() {
        ().into_any()
    } else if m.role == MessageRole::Visitor {
        view! { <p class="body">{m.text}</p> }.into_any()
    } else {
        view! { <Markdown text=m.text class="body"/> }.into_any()
    };
    let attached = (!m.attachments.is_empty()).then(|| {
        view! {
            <div class="files">{m.attachments.into_iter().map(attachment_view).collect_view()}</div>
        }
    });
    view! {
        <li class=format!("msg {}", m.role.as_str()) class:mentions-me=mentions_me class:voice=m.voice>
            <span class="who">{who}</span>
            {body}
            {attached}
        </li>
    }
}

#[component]
pub fn ConversationView(console: Console, id: ConversationId) -> impl IntoView {
    let status = move || {
        console
            .open
            .with(|o| o.as_ref().and_then(|o| o.detail.as_ref()).map(|d| d.status))
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
    let typing = move |pick: fn(&crate::state::Open) -> bool| {
        move || console.open.with(|o| o.as_ref().is_some_and(pick))
    };

    view! {
        <Show when=move || console.detail().is_some() fallback=|| view! { <p class="muted empty">"Loading..."</p> }>
            <div class="thread">
                {move || console.detail().map(|d| view! {
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
                                <button class="primary" on:click=move |_| set_status(ConversationStatus::Resolved) aria-keyshortcuts="e">"Resolve"</button>
                            </Show>
                            <Show when=move || status() == Some(ConversationStatus::Resolved)>
                                <button on:click=move |_| set_status(ConversationStatus::Unresolved)>"Reopen"</button>
                            </Show>
                        </div>
                    </div>
                })}
                <LabelPicker console id/>
                <div class="assignment">
                    <span>{move || match assignee() {
                        Some(a) if Some(a.operator_id) == console.me() => "Assigned to you".to_owned(),
                        Some(a) => format!("Assigned to {}", a.name),
                        None => "Unassigned".to_owned(),
                    }}</span>
                    <Show when=move || console.me().is_some() && assignee().map(|a| a.operator_id) != console.me()>
                        <button on:click=move |_| assign(console.me()) aria-keyshortcuts="a">"Assign to me"</button>
                    </Show>
                    <Show when=move || !console.desk.members.with(Vec::is_empty)>
                        <label class="sr-only" for="assignee">"Assign to"</label>
                        <select id="assignee" on:change=move |ev| {
                            let value = event_target_value(&ev);
                            assign(OperatorId::parse(&value));
                        }>
                            <option value="" selected=move || assignee().is_none()>"Assign to..."</option>
                            {move || console.desk.members.get().into_iter().map(|m| {
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
                    {move || console.detail().and_then(|d| d.rating).map(|r| view! {
                        <span class="rating-note">
                            <span aria-hidden="true">{crate::ratings::stars(r.score)}</span>
                            {format!(" Rated {} of 5 ({})", r.score, crate::ratings::words(r.score))}
                            {(!r.comment.is_empty()).then(|| view! { <q dir="auto">{r.comment.clone()}</q> })}
                        </span>
                    })}
                    {move || console.detail().and_then(|d| d.visitor_mailed_at).map(|at| view! {
                        <span class="muted small">{format!("Last emailed {}", local_time(at))}</span>
                    })}
                </div>
                // Focusable, so the keyboard can scroll it (axe: scrollable-region-focusable).
                <ol class="messages" aria-label="Messages" aria-live="polite" tabindex="0">
                    <For
                        each=move || console.open.with(|o| o.as_ref().map(|o| o.messages.clone()).unwrap_or_default())
                        key=|m| m.id
                        children=move |m| message_view(console, m)
                    />
                </ol>
                <crate::voice::VoiceCalls console/>
                <Show when=typing(|o| o.assistant_typing)>
                    <p class="muted typing-note" role="status">"The assistant is writing a reply..."</p>
                </Show>
                <Show when=typing(|o| o.visitor_typing)>
                    <p class="muted typing-note" role="status">"The visitor is typing..."</p>
                </Show>
                <Composer console id/>
            </div>
            <ContextPanel console/>
        </Show>
    }
}
