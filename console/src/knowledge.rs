//! The knowledge base page: the organization's files (with delete), an
//! upload button that is locked with its reason without a subscription,
//! and a search box that shows what the support agent would find.

use echo_protocol::knowledge::{KnowledgeFile, SearchHit};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::state::Console;

fn size_label(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn kind_label(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "text/html" => "HTML",
        "text/markdown" => "Markdown",
        _ => "Text",
    }
}

#[component]
pub fn KnowledgeView(console: Console) -> impl IntoView {
    let files = RwSignal::new(None::<Vec<KnowledgeFile>>);
    let uploading = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(None::<Vec<SearchHit>>);

    let load = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.knowledge_files().await {
                Ok(list) => files.set(Some(list)),
                Err(e) => console.fail(e),
            }
        });
    };
    load();

    let upload_locked = move || {
        console.plan.with(|plan| match plan {
            None => Some("Checking your plan..."),
            Some(p) if !p.subscription_active => Some(
                "Uploading is a Pro feature: your organization has no active subscription. \
                 Existing files can still be searched and deleted.",
            ),
            Some(_) => None,
        })
    };

    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|list| list.get(0)) else {
            return;
        };
        input.set_value("");
        let Some(api) = console.api() else { return };
        uploading.set(true);
        spawn_local(async move {
            match api.upload(&file).await {
                Ok(added) => {
                    console.toast(format!("Added {}.", added.name));
                    files.update(|list| list.get_or_insert_with(Vec::new).insert(0, added));
                }
                Err(e) => console.fail(e),
            }
            uploading.set(false);
        });
    };

    let remove = move |file: KnowledgeFile| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.delete_file(file.file_id).await {
                Ok(()) => {
                    console.toast(format!("Deleted {}.", file.name));
                    files.update(|list| {
                        if let Some(list) = list {
                            list.retain(|f| f.file_id != file.file_id)
                        }
                    });
                    hits.set(None);
                }
                Err(e) => console.fail(e),
            }
        });
    };

    let search = move || {
        let q = query.get_untracked();
        if q.trim().is_empty() {
            hits.set(None);
            return;
        }
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.search(&q).await {
                Ok(results) => hits.set(Some(results.hits)),
                Err(e) => console.fail(e),
            }
        });
    };

    view! {
        <main class="knowledge">
            <div class="kb-head">
                <div>
                    <h2>"Knowledge base"</h2>
                    <p class="muted">"The assistant searches these files before it answers visitors."</p>
                </div>
                <label
                    class="button primary upload"
                    class:disabled=move || upload_locked().is_some() || uploading.get()
                    aria-describedby="upload-reason"
                >
                    {move || if uploading.get() { "Uploading..." } else if upload_locked().is_some() { "Upload (Pro)" } else { "Upload file" }}
                    <input
                        type="file"
                        class="sr-only"
                        accept=".txt,.md,.markdown,.html,.htm,.pdf,text/plain,text/markdown,text/html,application/pdf"
                        disabled=move || upload_locked().is_some() || uploading.get()
                        on:change=on_pick
                    />
                </label>
            </div>
            <p id="upload-reason" class="muted reason">{move || upload_locked()}</p>
            <p class="muted small">"Text, Markdown, HTML or PDF, up to 5 MB."</p>
            <form class="kb-search" role="search" on:submit=move |ev| { ev.prevent_default(); search(); }>
                <label for="kb-query" class="sr-only">"Search the knowledge base"</label>
                <input
                    id="kb-query"
                    type="search"
                    placeholder="Try a visitor's question..."
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <button type="submit">"Search"</button>
            </form>
            {move || hits.get().map(|hits| if hits.is_empty() {
                view! { <p class="muted">"Nothing found: the assistant would offer a human."</p> }.into_any()
            } else {
                view! {
                    <ol class="hits" aria-label="Search results">
                        {hits.into_iter().map(|h| view! {
                            <li><strong>{h.name}</strong><p>{h.snippet}</p></li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            })}
            {move || match files.get() {
                None => view! { <p class="muted">"Loading..."</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <p class="muted empty">"No files yet."</p>
                }.into_any(),
                Some(list) => view! {
                    <table class="files" aria-label="Files">
                        <thead><tr><th>"Name"</th><th>"Type"</th><th>"Size"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|f| {
                                let target = f.clone();
                                view! {
                                    <tr>
                                        <td>{f.name.clone()}</td>
                                        <td>{kind_label(&f.content_type)}</td>
                                        <td>{size_label(f.size_bytes)}</td>
                                        <td>
                                            <button
                                                class="danger"
                                                aria-label=format!("Delete {}", f.name)
                                                on:click=move |_| remove(target.clone())
                                            >"Delete"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </main>
    }
}
