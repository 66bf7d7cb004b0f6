//! Keyboard shortcuts, outside text fields: j / k the next or previous
//! conversation, r reply, n note, e resolve, a assign to me, / search, ?
//! this list. Ctrl+K (Cmd+K) searches from anywhere. Each has a button or
//! link too; the list is a dialog that Escape closes.

use echo_protocol::conversations::ConversationStatus;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::composer::focus_reply;
use crate::desk_state::Compose;
use crate::model::Page;
use crate::search::focus_search;
use crate::state::Console;

/// The shortcuts, as the dialog lists them.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("j", "Next conversation"),
    ("k", "Previous conversation"),
    ("r", "Reply"),
    ("n", "Private note"),
    ("e", "Resolve"),
    ("a", "Assign to me"),
    ("/", "Search (Ctrl+K anywhere)"),
    ("?", "These shortcuts"),
    ("Esc", "Close a list or this dialog"),
];

/// Whether the key went to something that takes typing.
fn in_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.closest("[contenteditable]").ok().flatten().is_some()
        })
}

/// The next (`step` 1) or previous (-1) inbox row after the open one.
fn move_by(console: Console, step: i32) {
    let open = console.open.with_untracked(|o| o.as_ref().map(|o| o.id));
    let next = console.inbox.rows.with_untracked(|rows| {
        let at = open.and_then(|id| rows.iter().position(|r| r.conversation_id == id));
        let index = match at {
            None if step > 0 => 0,
            None => rows.len().checked_sub(1)?,
            Some(i) => (i as i32 + step).clamp(0, rows.len() as i32 - 1) as usize,
        };
        rows.get(index).map(|r| r.conversation_id)
    });
    if let Some(id) = next {
        console.open(id);
    }
}

fn resolve(console: Console) {
    let Some(id) = console.open.with_untracked(|o| o.as_ref().map(|o| o.id)) else {
        return;
    };
    let Some(api) = console.api() else { return };
    spawn_local(async move {
        match api.set_status(id, ConversationStatus::Resolved).await {
            Ok(detail) => {
                console.update_open(id, |o| o.detail = Some(detail));
                console.refresh_inbox();
            }
            Err(e) => console.fail(e),
        }
    });
}

fn take(console: Console) {
    let (Some(id), Some(me)) = (
        console.open.with_untracked(|o| o.as_ref().map(|o| o.id)),
        console.me_untracked(),
    ) else {
        return;
    };
    let Some(api) = console.api() else { return };
    spawn_local(async move {
        match api.assign(id, Some(me)).await {
            Ok(detail) => {
                console.update_open(id, |o| o.detail = Some(detail));
                console.refresh_inbox();
            }
            Err(e) => console.fail(e),
        }
    });
}

/// Listens for the shortcuts while the workspace is shown.
pub fn install(console: Console) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        let desk = console.desk;
        if (ev.ctrl_key() || ev.meta_key()) && key.eq_ignore_ascii_case("k") {
            ev.prevent_default();
            console.show_inbox();
            focus_search();
            return;
        }
        if key == "Escape" && desk.shortcuts_open.get_untracked() {
            desk.shortcuts_open.set(false);
            return;
        }
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || in_field(&ev) {
            return;
        }
        let on_inbox = matches!(console.page.get_untracked(), Page::Inbox(_));
        match key.as_str() {
            "?" => desk.shortcuts_open.update(|o| *o = !*o),
            "/" => {
                console.show_inbox();
                focus_search();
            }
            "j" if on_inbox => move_by(console, 1),
            "k" if on_inbox => move_by(console, -1),
            "r" | "n" if on_inbox => {
                desk.compose.set(if key == "n" {
                    Compose::Note
                } else {
                    Compose::Reply
                });
                focus_reply();
            }
            "e" if on_inbox => resolve(console),
            "a" if on_inbox => take(console),
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || handle.remove());
}

#[component]
pub fn ShortcutsDialog(console: Console) -> impl IntoView {
    let open = console.desk.shortcuts_open;
    view! {
        <Show when=move || open.get()>
            <div class="scrim" on:click=move |_| open.set(false)></div>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <dl class="keys">
                    {SHORTCUTS.iter().map(|(key, what)| view! {
                        <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd>
                    }).collect_view()}
                </dl>
                <button class="primary" autofocus on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
