//! The Mentions page: the notes that mention the operator, newest first,
//! unread ones marked until their conversation is opened.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;
use crate::time::local_time;

#[component]
pub fn MentionsPage(console: Console) -> impl IntoView {
    let desk = console.desk;
    console.refresh_mentions();
    let read_all = move |_| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.read_mentions(None).await {
                Ok(()) => console.refresh_mentions(),
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <main class="page">
            <div class="kb-head">
                <h2>"Mentions"</h2>
                <Show when=move || { desk.unread.get() > 0 }>
                    <button on:click=read_all>"Mark all read"</button>
                </Show>
            </div>
            <Show when=move || desk.mentions.with(Vec::is_empty)>
                <p class="muted empty">"Nobody has mentioned you in a note yet."</p>
            </Show>
            <ul class="mentions">
                {move || desk.mentions.get().into_iter().map(|m| {
                    let id = m.conversation_id;
                    let unread = m.read_at.is_none();
                    view! {
                        <li class:unread=unread>
                            <button class="item" on:click=move |_| console.open(id)>
                                <span class="item-top">
                                    <strong>{format!("{} mentioned you", m.author_name)}</strong>
                                    <span class="muted small">{local_time(m.created_at)}</span>
                                </span>
                                <span class="preview">{m.text}</span>
                                {unread.then(|| view! { <span class="badge unread-badge">"Unread"</span> })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </main>
    }
}
