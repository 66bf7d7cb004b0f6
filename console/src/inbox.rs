//! The inbox page: the search box, its status tabs, Mine / Unassigned /
//! All and a label, the rows (kept current by live events, row by row:
//! `model::apply`; ticked with checkboxes, shift-click for a range, for
//! the bulk bar), search results in their place while a search is typed,
//! and the conversation open beside them.

use echo_protocol::desk::LabelId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::bulk::BulkBar;
use crate::conversation::ConversationView;
use crate::labels::LabelChips;
use crate::model::{Owner, Tab};
use crate::search::{SearchBox, SearchResults};
use crate::state::Console;

#[component]
fn Rows(console: Console) -> impl IntoView {
    let inbox = console.inbox;
    let desk = console.desk;
    let open = Memo::new(move |_| console.open.with(|o| o.as_ref().map(|o| o.id)));
    view! {
        <ul class="list" aria-label="Conversations">
            <For
                each=move || inbox.rows.get()
                key=|c| (c.conversation_id, c.last_activity_at, c.status, c.assignee.as_ref().map(|a| a.operator_id), c.labels.iter().map(|l| l.id).collect::<Vec<_>>(), c.rating.as_ref().map(|r| r.rated_at))
                children=move |c| {
                    let id = c.conversation_id;
                    // Only a message of files alone has no text.
                    let preview = c.last_message.as_ref().map(|m| if m.text.is_empty() { "Sent a file".to_owned() } else { m.text.clone() }).unwrap_or_default();
                    let assignee = c.assignee.as_ref().map(|a| a.name.clone());
                    let name = c.visitor_name.clone();
                    view! {
                        <li class="row">
                            <input
                                type="checkbox"
                                class="pick"
                                aria-label=format!("Select {name}")
                                prop:checked=move || desk.selected.with(|s| s.contains(&id))
                                on:click=move |ev: leptos::ev::MouseEvent| {
                                    let on = event_target_checked(&ev);
                                    console.select(id, on, ev.shift_key());
                                }
                            />
                            <button
                                class="item"
                                class:selected=move || open.get() == Some(id)
                                aria-current=move || (open.get() == Some(id)).then_some("true")
                                on:click=move |_| console.open(id)
                            >
                                <span class="item-top">
                                    <strong>{c.visitor_name.clone()}</strong>
                                    <span class=format!("badge {}", c.status.as_str())>{c.status.as_str()}</span>
                                    <Show when=move || console.live_calls.with(|ids| ids.contains(&id))>
                                        <span class="badge on-call">"On a call"</span>
                                    </Show>
                                    {c.rating.as_ref().map(|r| view! {
                                        <span class="rating-badge" title=crate::ratings::words(r.score)>
                                            {crate::ratings::stars(r.score)}
                                            <span class="sr-only">{format!("Rated {} of 5: {}", r.score, crate::ratings::words(r.score))}</span>
                                        </span>
                                    })}
                                </span>
                                <span class="preview">{preview}</span>
                                <LabelChips labels=c.labels.clone()/>
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
    }
}

#[component]
pub fn InboxPage(console: Console, hidden: Signal<bool>) -> impl IntoView {
    let inbox = console.inbox;
    let desk = console.desk;
    // The rows follow the filters and every live change.
    Effect::new(move |_| {
        let filter = inbox.filter();
        inbox.version.track();
        let Some(api) = console.api() else { return };
        crate::voice::refresh_live(console);
        spawn_local(async move {
            match api.conversations(filter).await {
                Ok(page) if inbox.filter_untracked() == filter => {
                    inbox.rows.set(page.conversations)
                }
                Ok(_) => {}
                Err(e) => console.fail(e),
            }
        });
    });
    // A new filter starts a new selection.
    Effect::new(move |_| {
        inbox.filter();
        desk.selected.set(Vec::new());
        desk.anchor.set(None);
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
    // Which conversation is open, not what is in it: a message arriving
    // (an update of the open conversation) must not draw the conversation
    // view anew, which would drop the reply being typed.
    let open = Memo::new(move |_| console.open.with(|o| o.as_ref().map(|o| o.id)));
    // A new page of hits redraws the list's rows, not the list.
    let searching = Memo::new(move |_| desk.hits.with(Option::is_some));

    view! {
        <main class="layout" class:hidden=move || hidden.get()>
            <aside class="inbox">
                <Show when=move || console.plan.with(|p| p.as_ref().is_some_and(|p| p.ai_limit_reached))>
                    <p class="notice" role="status">"The assistant has used today's replies: new conversations wait for a person until tomorrow (UTC)."</p>
                </Show>
                <div class="filters">
                    <SearchBox console/>
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
                    <Show when=move || !desk.labels.with(Vec::is_empty)>
                        <div class="label-filter">
                            <label for="label-filter">"Label"</label>
                            <select id="label-filter" on:change=move |ev| {
                                inbox.rows.set(Vec::new());
                                inbox.label.set(LabelId::parse(&event_target_value(&ev)));
                            }>
                                <option value="" selected=move || inbox.label.get().is_none()>"Any"</option>
                                {move || desk.labels.get().into_iter().map(|l| {
                                    let id = l.id;
                                    view! { <option value=id.to_string() selected=move || inbox.label.get() == Some(id)>{l.name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                    </Show>
                    <BulkBar console/>
                </div>
                {move || if searching.get() {
                    view! { <SearchResults console/> }.into_any()
                } else {
                    view! { <Rows console/> }.into_any()
                }}
            </aside>
            <section class="conversation">
                {move || match open.get() {
                    None => view! { <p class="muted empty">"Select a conversation."</p> }.into_any(),
                    Some(id) => view! { <ConversationView console id/> }.into_any(),
                }}
            </section>
        </main>
    }
}
