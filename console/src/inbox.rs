//! The inbox page: its status tabs and Mine / Unassigned / All, the rows
//! (kept current by live events, row by row: `model::apply`), and the
//! conversation open beside them.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::conversation::ConversationView;
use crate::model::{Owner, Tab};
use crate::state::Console;

#[component]
pub fn InboxPage(console: Console, hidden: Signal<bool>) -> impl IntoView {
    let inbox = console.inbox;
    // The rows follow the filters and every live change.
    Effect::new(move |_| {
        let (tab, owner) = (inbox.tab.get(), inbox.owner.get());
        inbox.version.track();
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.conversations(tab.status(), owner).await {
                Ok(page)
                    if inbox.tab.get_untracked() == tab && inbox.owner.get_untracked() == owner =>
                {
                    inbox.rows.set(page.conversations)
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
    // The open conversation stays mounted while another page shows (its
    // draft with it); it is the one the page opened.
    let open = move || console.open.with(|o| o.as_ref().map(|o| o.id));

    view! {
        <main class="layout" class:hidden=move || hidden.get()>
            <aside class="inbox">
                <Show when=move || console.plan.with(|p| p.as_ref().is_some_and(|p| p.ai_limit_reached))>
                    <p class="notice" role="status">"The assistant has used today's replies: new conversations wait for a person until tomorrow (UTC)."</p>
                </Show>
                <div class="filters">
                    <div class="tabs owners" role="tablist" aria-label="Assignee">
                        {move || owners().into_iter().map(|owner| view! {
                            <button
                                role="tab"
                                aria-selected=move || (inbox.owner.get() == owner).to_string()
                                on:click=move |_| {
                                    if inbox.owner.get_untracked() != owner {
                                        inbox.rows.set(Vec::new());
                                        inbox.owner.set(owner);
                                    }
                                }
                            >{owner.label()}</button>
                        }).collect_view()}
                    </div>
                    <div class="tabs" role="tablist" aria-label="Status">
                        {Tab::ALL.into_iter().map(|tab| view! {
                            <button
                                role="tab"
                                aria-selected=move || (inbox.tab.get() == tab).to_string()
                                on:click=move |_| {
                                    // No rows of the previous tab while this one loads.
                                    if inbox.tab.get_untracked() != tab {
                                        inbox.rows.set(Vec::new());
                                        inbox.tab.set(tab);
                                    }
                                }
                            >{tab.label()}</button>
                        }).collect_view()}
                    </div>
                </div>
                <ul class="list" aria-label="Conversations">
                    <For
                        each=move || inbox.rows.get()
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
                                        class:selected=move || open() == Some(id)
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
                <Show when=move || inbox.rows.with(Vec::is_empty)>
                    <p class="muted empty">"No conversations here."</p>
                </Show>
            </aside>
            <section class="conversation">
                {move || match open() {
                    None => view! { <p class="muted empty">"Select a conversation."</p> }.into_any(),
                    Some(id) => view! { <ConversationView console id/> }.into_any(),
                }}
            </section>
        </main>
    }
}
