//! The signed-in workspace: the top bar, the inbox with its status tabs
//! (kept current by live events, row by row), and the open conversation.

use echo_protocol::conversations::MessagePreview;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::operator::OperatorConversationItem;
use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use crate::conversation::ConversationView;
use crate::knowledge::KnowledgeView;
use crate::state::{Console, Tab};

/// Applies a live event to the inbox rows of `tab`: a new message moves its
/// conversation to the top with a new preview; a status change updates the
/// badge, or removes the row when the tab no longer lists that status.
/// Returns whether the conversation was already known here (if not, and
/// the tab should list it, the caller fetches the inbox).
pub fn apply(rows: &mut Vec<OperatorConversationItem>, tab: Tab, event: &LiveEvent) -> bool {
    let Some(index) = rows
        .iter()
        .position(|row| row.conversation_id == event.conversation_id)
    else {
        return match &event.change {
            // A status this tab does not show: nothing to fetch.
            Change::Status { status } => tab.status().is_some_and(|shown| shown != *status),
            _ => false,
        };
    };
    match &event.change {
        Change::Message { message } => {
            let mut row = rows.remove(index);
            row.last_activity_at = message.created_at;
            row.last_message = Some(MessagePreview {
                role: message.role,
                text: message.text.clone(),
                created_at: message.created_at,
            });
            rows.insert(0, row);
        }
        Change::Status { status } => {
            if tab.status().is_some_and(|shown| shown != *status) {
                rows.remove(index);
            } else {
                rows[index].status = *status;
            }
        }
        Change::Typing { .. } => {}
    }
    true
}

#[component]
pub fn Workspace() -> impl IntoView {
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
            <KnowledgeView/>
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

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::conversations::ConversationStatus;
    use echo_protocol::messages::{Message, MessageRole};
    use echo_protocol::{ConversationId, MessageId, Timestamp};

    fn id(n: u128) -> ConversationId {
        ConversationId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn row(n: u128, status: ConversationStatus) -> OperatorConversationItem {
        OperatorConversationItem {
            conversation_id: id(n),
            status,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(n as i64),
            visitor_name: format!("visitor {n}"),
            last_message: None,
        }
    }

    fn event(n: u128, change: Change) -> LiveEvent {
        LiveEvent {
            position: 1,
            conversation_id: id(n),
            change,
        }
    }

    #[test]
    fn a_message_moves_its_row_to_the_top_with_its_preview() {
        let mut rows = vec![
            row(2, ConversationStatus::Unresolved),
            row(1, ConversationStatus::Unresolved),
        ];
        let message = Message {
            id: MessageId::from_uuid(uuid::Uuid::from_u128(9)),
            role: MessageRole::Visitor,
            text: "Still there?".into(),
            created_at: Timestamp(50),
        };
        assert!(apply(
            &mut rows,
            Tab::All,
            &event(1, Change::Message { message })
        ));
        assert_eq!(rows[0].conversation_id, id(1));
        assert_eq!(rows[0].last_activity_at, Timestamp(50));
        assert_eq!(rows[0].last_message.as_ref().unwrap().text, "Still there?");
    }

    #[test]
    fn a_status_change_updates_or_leaves_the_tab() {
        let mut rows = vec![row(1, ConversationStatus::Unresolved)];
        let resolved = Change::Status {
            status: ConversationStatus::Resolved,
        };
        assert!(apply(
            &mut rows.clone(),
            Tab::All,
            &event(1, resolved.clone())
        ));
        assert!(apply(
            &mut rows,
            Tab::Unresolved,
            &event(1, resolved.clone())
        ));
        assert!(rows.is_empty(), "the unresolved tab no longer lists it");
        // Unknown here but listed by this tab: the caller fetches it.
        assert!(!apply(
            &mut rows,
            Tab::Resolved,
            &event(1, resolved.clone())
        ));
        // Unknown and not this tab's status: nothing to fetch.
        assert!(apply(&mut rows, Tab::Escalated, &event(1, resolved)));
    }
}
