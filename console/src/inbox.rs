//! The signed-in workspace: the top bar (pages, organization switcher,
//! sign-out), the inbox with its status tabs and Mine / Unassigned / All
//! (kept current by live events, row by row), and the open conversation.

use echo_protocol::conversations::MessagePreview;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::operator::OperatorConversationItem;
use echo_protocol::team::Assignee;
use echo_protocol::OperatorId;
use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;

use crate::conversation::ConversationView;
use crate::knowledge::KnowledgeView;
use crate::notifications::NotificationsView;
use crate::settings::WidgetSettingsView;
use crate::state::{Console, Page, Tab};
use crate::team::{ApiKeysView, TeamView};
use crate::topbar::TopBar;

/// Whose conversations the inbox lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    All,
    Mine(OperatorId),
    Unassigned,
}

impl Owner {
    pub fn label(self) -> &'static str {
        match self {
            Owner::All => "All",
            Owner::Mine(_) => "Mine",
            Owner::Unassigned => "Unassigned",
        }
    }

    /// The `assignee=` filter of the inbox call.
    pub fn query(self) -> &'static str {
        match self {
            Owner::All => "all",
            Owner::Mine(_) => "me",
            Owner::Unassigned => "none",
        }
    }

    pub fn shows(self, assignee: Option<&Assignee>) -> bool {
        match self {
            Owner::All => true,
            Owner::Mine(me) => assignee.is_some_and(|a| a.operator_id == me),
            Owner::Unassigned => assignee.is_none(),
        }
    }
}

/// Applies a live event to the inbox rows of `tab` and `owner`: a new
/// message moves its conversation to the top with a new preview; a status
/// or assignment change updates the row, or removes it when this view no
/// longer lists it. Returns whether the conversation was already known
/// here (if not, and this view may list it, the caller fetches the inbox).
pub fn apply(
    rows: &mut Vec<OperatorConversationItem>,
    tab: Tab,
    owner: Owner,
    event: &LiveEvent,
) -> bool {
    let Some(index) = rows
        .iter()
        .position(|row| row.conversation_id == event.conversation_id)
    else {
        return match &event.change {
            // A status this tab does not show: nothing to fetch.
            Change::Status { status } => tab.status().is_some_and(|shown| shown != *status),
            Change::Assignment { assignee } => !owner.shows(assignee.as_ref()),
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
        Change::Assignment { assignee } => {
            if owner.shows(assignee.as_ref()) {
                rows[index].assignee = assignee.clone();
            } else {
                rows.remove(index);
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
    console.open_linked();
    on_cleanup(move || {
        if let Some(controller) = controller.take() {
            controller.abort();
        }
    });

    if let Some(api) = console.api() {
        let admin = console.is_admin();
        spawn_local(async move {
            match api.organization().await {
                Ok(plan) => console.plan.set(Some(plan)),
                Err(e) => console.fail(e),
            }
            if admin {
                match api.team().await {
                    Ok(team) => console.team.set(team),
                    Err(e) => console.fail(e),
                }
            }
        });
    }

    // The inbox follows the tabs and every live change.
    Effect::new(move |_| {
        let (tab, owner) = (console.tab.get(), console.owner.get());
        console.inbox_version.track();
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.conversations(tab.status(), owner).await {
                Ok(page)
                    if console.tab.get_untracked() == tab
                        && console.owner.get_untracked() == owner =>
                {
                    console.conversations.set(page.conversations)
                }
                Ok(_) => {}
                Err(e) => console.fail(e),
            }
        });
    });
    let owners = move || {
        let mut owners = Vec::with_capacity(3);
        if let Some(me) = console.me() {
            owners.push(Owner::Mine(me));
        }
        owners.extend([Owner::Unassigned, Owner::All]);
        owners
    };
    let page = move || console.page.get();

    view! {
        <TopBar/>
        <Show when=move || page() == Page::Knowledge>
            <KnowledgeView/>
        </Show>
        <Show when=move || page() == Page::Team>
            <TeamView/>
        </Show>
        <Show when=move || page() == Page::ApiKeys>
            <ApiKeysView/>
        </Show>
        <Show when=move || page() == Page::Widget>
            <WidgetSettingsView/>
        </Show>
        <Show when=move || page() == Page::Notifications>
            <NotificationsView/>
        </Show>
        <main class="layout" class:hidden=move || page() != Page::Inbox>
            <aside class="inbox">
                <Show when=move || console.plan.with(|p| p.as_ref().is_some_and(|p| p.ai_limit_reached))>
                    <p class="notice" role="status">"The assistant has used today's replies: new conversations wait for a person until tomorrow (UTC)."</p>
                </Show>
                <div class="filters">
                    <div class="tabs owners" role="tablist" aria-label="Assignee">
                        {move || owners().into_iter().map(|owner| view! {
                            <button
                                role="tab"
                                aria-selected=move || (console.owner.get() == owner).to_string()
                                on:click=move |_| {
                                    if console.owner.get_untracked() != owner {
                                        console.conversations.set(Vec::new());
                                        console.owner.set(owner);
                                    }
                                }
                            >{owner.label()}</button>
                        }).collect_view()}
                    </div>
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
                </div>
                <ul class="list" aria-label="Conversations">
                    <For
                        each=move || console.conversations.get()
                        key=|c| (c.conversation_id, c.last_activity_at, c.status, c.assignee.as_ref().map(|a| a.operator_id))
                        children=move |c| {
                            let id = c.conversation_id;
                            // Only a message of files alone has no text.
                            let preview = c.last_message.as_ref().map(|m| if m.text.is_empty() { "Sent a file".to_owned() } else { m.text.clone() }).unwrap_or_default();
                            let assignee = c.assignee.as_ref().map(|a| a.name.clone());
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
                                        <span class="assignee">{assignee.map(|name| format!("Assigned to {name}"))}</span>
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
        </main>
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
            assignee: None,
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
            author_name: None,
            author: None,
            attachments: Vec::new(),
        };
        assert!(apply(
            &mut rows,
            Tab::All,
            Owner::All,
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
            Owner::All,
            &event(1, resolved.clone())
        ));
        assert!(apply(
            &mut rows,
            Tab::Unresolved,
            Owner::All,
            &event(1, resolved.clone())
        ));
        assert!(rows.is_empty(), "the unresolved tab no longer lists it");
        // Unknown here but listed by this tab: the caller fetches it.
        assert!(!apply(
            &mut rows,
            Tab::Resolved,
            Owner::All,
            &event(1, resolved.clone())
        ));
        // Unknown and not this tab's status: nothing to fetch.
        assert!(apply(
            &mut rows,
            Tab::Escalated,
            Owner::All,
            &event(1, resolved)
        ));
    }
}

#[cfg(test)]
mod assignment_tests {
    use super::*;
    use echo_protocol::conversations::ConversationStatus;
    use echo_protocol::{ConversationId, Timestamp};

    fn operator(n: u128) -> Assignee {
        Assignee {
            operator_id: OperatorId::from_uuid(uuid::Uuid::from_u128(n)),
            name: format!("operator {n}"),
        }
    }

    fn row(assignee: Option<Assignee>) -> OperatorConversationItem {
        OperatorConversationItem {
            conversation_id: ConversationId::from_uuid(uuid::Uuid::from_u128(1)),
            status: ConversationStatus::Escalated,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(0),
            visitor_name: "v".into(),
            last_message: None,
            assignee,
        }
    }

    fn assigned(to: Option<Assignee>) -> LiveEvent {
        LiveEvent {
            position: 2,
            conversation_id: ConversationId::from_uuid(uuid::Uuid::from_u128(1)),
            change: Change::Assignment { assignee: to },
        }
    }

    #[test]
    fn an_assignment_updates_the_row_or_leaves_the_view() {
        let me = operator(7);
        let mine = Owner::Mine(me.operator_id);
        let mut rows = vec![row(None)];
        assert!(apply(
            &mut rows,
            Tab::All,
            Owner::All,
            &assigned(Some(me.clone()))
        ));
        assert_eq!(rows[0].assignee, Some(me.clone()));
        let mut unassigned = vec![row(None)];
        assert!(apply(
            &mut unassigned,
            Tab::All,
            Owner::Unassigned,
            &assigned(Some(me.clone()))
        ));
        assert!(unassigned.is_empty());
        // Assigned to me while I look at Mine: fetch the row.
        assert!(!apply(&mut Vec::new(), Tab::All, mine, &assigned(Some(me))));
        // Assigned to someone else: not mine, nothing to fetch.
        assert!(apply(
            &mut Vec::new(),
            Tab::All,
            mine,
            &assigned(Some(operator(8)))
        ));
    }
}
