//! The bar over the inbox's rows while some are ticked: resolve them,
//! reopen them, take them, or add a label to all at once. The server
//! answers for each; what failed is said.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::{BulkChange, LabelId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

#[component]
pub fn BulkBar(console: Console) -> impl IntoView {
    let desk = console.desk;
    let count = move || desk.selected.with(Vec::len);
    let apply = move |change: BulkChange| {
        let Some(api) = console.api() else { return };
        let change = BulkChange {
            conversation_ids: desk.selected.get_untracked(),
            ..change
        };
        spawn_local(async move {
            match api.bulk(&change).await {
                Ok(results) => {
                    let failed = results.results.iter().filter(|r| !r.ok).count();
                    let done = results.results.len() - failed;
                    console.toast(if failed == 0 {
                        format!("Done for {done} conversations.")
                    } else {
                        format!("Done for {done}; {failed} could not be changed.")
                    });
                    desk.selected.set(Vec::new());
                    desk.anchor.set(None);
                    console.refresh_inbox();
                    console.reload_open();
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let status = move |status| {
        apply(BulkChange {
            status: Some(status),
            ..Default::default()
        })
    };
    view! {
        <Show when=move || { count() > 0 }>
            <div class="bulk" role="toolbar" aria-label="Selected conversations">
                <span class="bulk-count">{move || format!("{} selected", count())}</span>
                <button class="primary" on:click=move |_| status(ConversationStatus::Resolved)>"Resolve"</button>
                <button on:click=move |_| status(ConversationStatus::Unresolved)>"Reopen"</button>
                <Show when=move || console.me().is_some()>
                    <button on:click=move |_| apply(BulkChange {
                        assignee_id: Some(console.me_untracked()),
                        ..Default::default()
                    })>"Assign to me"</button>
                </Show>
                <label class="sr-only" for="bulk-label">"Add a label"</label>
                <select id="bulk-label" on:change=move |ev| {
                    if let Some(id) = LabelId::parse(&event_target_value(&ev)) {
                        apply(BulkChange { add_label_ids: vec![id], ..Default::default() });
                    }
                }>
                    <option value="" selected=true>"Add label..."</option>
                    {move || desk.labels.get().into_iter().map(|l| view! {
                        <option value=l.id.to_string()>{l.name}</option>
                    }).collect_view()}
                </select>
                <button class="ghost-dark" on:click=move |_| desk.selected.set(Vec::new())>"Clear"</button>
            </div>
        </Show>
    }
}
