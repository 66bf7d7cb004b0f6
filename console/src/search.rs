//! The inbox's search: the box (`/` or Ctrl+K focuses it), results as one
//! types, each a snippet whose matches are marked: the server gives their
//! character ranges, and the marks are made as elements, never from
//! markup.

use echo_protocol::desk::{Range, SearchField, SearchHit};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

/// `snippet` cut at `ranges` (character offsets): `(text, marked)` runs.
pub fn runs(snippet: &str, ranges: &[Range]) -> Vec<(String, bool)> {
    let chars: Vec<char> = snippet.chars().collect();
    let mut runs = Vec::new();
    let mut at = 0usize;
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    for range in sorted {
        let (start, end) = (range.start as usize, (range.end as usize).min(chars.len()));
        if start < at || start >= end {
            continue;
        }
        if start > at {
            runs.push((chars[at..start].iter().collect(), false));
        }
        runs.push((chars[start..end].iter().collect(), true));
        at = end;
    }
    if at < chars.len() {
        runs.push((chars[at..].iter().collect(), false));
    }
    runs
}

/// Moves keyboard focus to the search box.
pub fn focus_search() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("search"))
    {
        use wasm_bindgen::JsCast;
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

#[component]
pub fn SearchBox(console: Console) -> impl IntoView {
    let desk = console.desk;
    // Results follow what is typed (each answer checked against the box,
    // so a slow one for an older query never shows).
    let run = move |query: String| {
        if query.trim().is_empty() {
            desk.hits.set(None);
            return;
        }
        let Some(api) = console.api() else { return };
        let filter = console.inbox.filter_untracked();
        spawn_local(async move {
            echo_web::sleep(120).await;
            if desk.query.get_untracked() != query {
                return;
            }
            match api.search_conversations(&query, filter).await {
                Ok(found) if desk.query.get_untracked() == query => desk.hits.set(Some(found)),
                Ok(_) => {}
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <div class="search" role="search">
            <label for="search" class="sr-only">"Search conversations"</label>
            <input
                id="search"
                type="search"
                placeholder="Search messages, notes, visitors  ( / )"
                aria-keyshortcuts="/ Control+K"
                maxlength="200"
                prop:value=move || desk.query.get()
                on:input=move |ev| {
                    let query = event_target_value(&ev);
                    desk.query.set(query.clone());
                    run(query);
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        desk.query.set(String::new());
                        desk.hits.set(None);
                    }
                }
            />
        </div>
    }
}

fn hit_view(console: Console, hit: SearchHit) -> impl IntoView {
    let id = hit.conversation_id;
    let what = match hit.field {
        SearchField::Message => "Message",
        SearchField::Visitor => "Visitor",
    };
    view! {
        <li>
            <button class="item" on:click=move |_| console.open(id)>
                <span class="item-top">
                    <strong>{hit.visitor_name}</strong>
                    <span class=format!("badge {}", hit.status.as_str())>{hit.status.as_str()}</span>
                </span>
                <span class="snippet">
                    <span class="muted small">{what}": "</span>
                    {runs(&hit.snippet, &hit.ranges).into_iter().map(|(text, marked)| {
                        if marked {
                            view! { <mark>{text}</mark> }.into_any()
                        } else {
                            text.into_any()
                        }
                    }).collect_view()}
                </span>
            </button>
        </li>
    }
}

/// The hits, in place of the inbox's rows while a search is typed.
#[component]
pub fn SearchResults(console: Console) -> impl IntoView {
    let hits = move || console.desk.hits.get().map(|r| r.hits).unwrap_or_default();
    view! {
        <ul class="list hits-list" aria-label="Search results">
            {move || hits().into_iter().map(|hit| hit_view(console, hit)).collect_view()}
        </ul>
        <Show when=move || hits().is_empty()>
            <p class="muted empty">"Nothing found."</p>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_mark_characters_not_bytes() {
        let ranges = [Range { start: 4, end: 8 }, Range { start: 0, end: 3 }];
        assert_eq!(
            runs("Mon Café ouvert", &ranges),
            [
                ("Mon".to_owned(), true),
                (" ".to_owned(), false),
                ("Café".to_owned(), true),
                (" ouvert".to_owned(), false),
            ]
        );
        // Out-of-range or overlapping ranges are skipped, never a panic.
        assert_eq!(
            runs(
                "ab",
                &[Range { start: 1, end: 9 }, Range { start: 0, end: 2 }]
            ),
            [("ab".to_owned(), true)]
        );
    }
}
