//! The reply box: a reply to the visitor (with files and Enhance) or a
//! private note to the team. A `/` starting the draft lists the saved
//! replies (filtered as one types; arrows and Enter insert one with its
//! variables filled, Escape closes); an `@` in a note lists teammates to
//! mention. While a reply is being written the visitor sees "... is
//! typing" (told at most every 2 s).

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::{fill_variables, CannedReply, Variables};
use echo_protocol::team::Assignee;
use echo_protocol::validate::MessageText;
use echo_protocol::{ConversationId, ErrorCode};
use echo_web::files::{Files, PendingFiles, State};
use echo_web::list::merge;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::desk_state::Compose;
use crate::state::Console;
use crate::suggest::{canned_matches, member_matches, mention_query, slash_query, still_mentioned};

/// What the box offers under the caret.
#[derive(Debug, Clone, PartialEq)]
enum Popup {
    Canned(Vec<CannedReply>),
    /// Teammates, and where the `@` being typed is.
    Members(usize, Vec<Assignee>),
}

impl Popup {
    fn len(&self) -> usize {
        match self {
            Popup::Canned(list) => list.len(),
            Popup::Members(_, list) => list.len(),
        }
    }
}

/// The first `units` UTF-16 units of `text` (a textarea's caret counts
/// them), as a byte length.
fn prefix_len(text: &str, units: u32) -> usize {
    let mut seen = 0;
    for (at, c) in text.char_indices() {
        if seen >= units as usize {
            return at;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// Moves keyboard focus to the reply box (the `r` and `n` shortcuts).
pub fn focus_reply() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("reply"))
    {
        use wasm_bindgen::JsCast;
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

#[component]
pub fn Composer(console: Console, id: ConversationId) -> impl IntoView {
    let desk = console.desk;
    let mode = desk.compose;
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let caret = RwSignal::new(0u32);
    let highlight = RwSignal::new(0usize);
    let dismissed = RwSignal::new(false);
    let picked: RwSignal<Vec<Assignee>> = RwSignal::new(Vec::new());
    let told_typing = StoredValue::new(0.0f64);
    let area: NodeRef<Textarea> = NodeRef::new();
    let resolved = move || {
        console.open.with(|o| {
            o.as_ref()
                .and_then(|o| o.detail.as_ref())
                .is_some_and(|d| d.status == ConversationStatus::Resolved)
        })
    };
    let replying_closed = move || mode.get() == Compose::Reply && resolved();

    let popup = Memo::new(move |_| {
        if dismissed.get() {
            return None;
        }
        let text = draft.get();
        if let Some(query) = slash_query(&text) {
            let found = desk.canned.with(|c| canned_matches(c, query));
            return (!found.is_empty()).then_some(Popup::Canned(found));
        }
        if mode.get() == Compose::Note {
            let before = &text[..prefix_len(&text, caret.get())];
            if let Some((at, query)) = mention_query(before) {
                let found = desk.members.with(|m| member_matches(m, query));
                return (!found.is_empty()).then_some(Popup::Members(at, found));
            }
        }
        None
    });

    let insert = move |index: usize| {
        let Some(popup) = popup.get_untracked() else {
            return;
        };
        match popup {
            Popup::Canned(list) => {
                let Some(reply) = list.get(index) else { return };
                let detail = console.detail();
                let (name, email) = detail
                    .map(|d| (d.visitor.name, d.visitor.email))
                    .unwrap_or_default();
                let organization = console
                    .plan
                    .with_untracked(|p| p.as_ref().map(|p| p.name.clone()))
                    .unwrap_or_default();
                let operator = console.my_name();
                let text = fill_variables(
                    &reply.text,
                    &Variables {
                        visitor_name: &name,
                        visitor_email: &email,
                        operator_name: &operator,
                        organization_name: &organization,
                    },
                );
                caret.set(text.encode_utf16().count() as u32);
                draft.set(text);
            }
            Popup::Members(at, list) => {
                let Some(member) = list.get(index) else {
                    return;
                };
                let text = draft.get_untracked();
                let end = prefix_len(&text, caret.get_untracked());
                let next = format!("{}@{} {}", &text[..at], member.name, &text[end..]);
                caret.set(
                    (text[..at].encode_utf16().count() + member.name.encode_utf16().count() + 2)
                        as u32,
                );
                draft.set(next);
                picked.update(|p| p.push(member.clone()));
            }
        }
        highlight.set(0);
        // Put the caret where the insertion ended.
        if let Some(el) = area.get_untracked() {
            el.set_value(&draft.get_untracked());
            let at = caret.get_untracked();
            let _ = el.set_selection_range(at, at);
            let _ = el.focus();
        }
    };

    let files = Files::new();
    let attach = move |list: Option<web_sys::FileList>| {
        let (Some(list), Some(api)) = (list, console.api()) else {
            return;
        };
        let (url, bearer) = api.upload_target(id);
        files.add(list, &url, bearer);
    };
    let send = move || {
        if sending.get_untracked() || files.uploading() {
            return;
        }
        let note = mode.get_untracked() == Compose::Note;
        let ready = if note { Vec::new() } else { files.ready() };
        let raw = draft.get_untracked();
        let text = match MessageText::parse(&raw) {
            Ok(text) => text.into_inner(),
            Err(_) if raw.trim().is_empty() && !ready.is_empty() => String::new(),
            Err(_) => return,
        };
        let Some(api) = console.api() else { return };
        sending.set(true);
        spawn_local(async move {
            let sent = if note {
                let mentions = picked.with_untracked(|p| still_mentioned(&text, p));
                api.add_note(id, text, mentions).await
            } else {
                api.reply(id, text, ready.clone()).await
            };
            match sent {
                Ok(message) => {
                    files.sent(&ready);
                    draft.set(String::new());
                    picked.set(Vec::new());
                    told_typing.set_value(0.0);
                    console.update_open(id, |o| merge(&mut o.messages, vec![message]));
                }
                Err(e) if e.is(ErrorCode::Conflict) => {
                    console.toast("This conversation is resolved. Reopen it to reply.")
                }
                Err(e) => console.fail(e),
            }
            sending.set(false);
        });
    };
    // The visitor hears of a reply being written; an emptied box stops it.
    let typed = move |text: &str| {
        if mode.get_untracked() != Compose::Reply {
            return;
        }
        let Some(api) = console.api() else { return };
        let now = js_sys::Date::now();
        if text.trim().is_empty() {
            if told_typing.get_value() > 0.0 {
                told_typing.set_value(0.0);
                spawn_local(async move { api.typing(id, false).await });
            }
        } else if now - told_typing.get_value() >= 2000.0 {
            told_typing.set_value(now);
            spawn_local(async move { api.typing(id, true).await });
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let el: web_sys::HtmlTextAreaElement = event_target(&ev);
        let text = el.value();
        caret.set(el.selection_start().ok().flatten().unwrap_or(0));
        dismissed.set(false);
        highlight.set(0);
        typed(&text);
        draft.set(text);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(open) = popup.get_untracked() {
            let count = open.len();
            match ev.key().as_str() {
                "ArrowDown" => highlight.update(|h| *h = (*h + 1) % count),
                "ArrowUp" => highlight.update(|h| *h = (*h + count - 1) % count),
                "Enter" | "Tab" => insert(highlight.get_untracked()),
                "Escape" => dismissed.set(true),
                _ => return,
            }
            ev.prevent_default();
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };

    let enhancing = RwSignal::new(false);
    // Why Enhance cannot be used, if it cannot.
    let enhance_locked = move || {
        console.plan.with(|plan| match plan {
            None => Some("Checking your plan..."),
            Some(p) if !p.subscription_active => {
                Some("Enhance is a Pro feature: your organization has no active subscription.")
            }
            Some(p) if !p.ai_available => Some("No language model is configured on this server."),
            Some(_) => None,
        })
    };
    let enhance = move |_| {
        let Ok(text) = MessageText::parse(&draft.get_untracked()) else {
            return console.toast("Write a draft first; Enhance rewrites it.");
        };
        let Some(api) = console.api() else { return };
        enhancing.set(true);
        spawn_local(async move {
            match api.enhance(text.into_inner()).await {
                Ok(better) => draft.set(better),
                Err(e) => console.fail(e),
            }
            enhancing.set(false);
        });
    };
    let option_id = |i: usize| format!("suggestion-{i}");

    view! {
        <form
            class="reply"
            class:note=move || mode.get() == Compose::Note
            on:submit=move |ev| { ev.prevent_default(); send(); }
            on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                attach(ev.data_transfer().and_then(|d| d.files()));
            }
        >
            <div class="mode" role="group" aria-label="Send as">
                <button type="button" aria-pressed=move || (mode.get() == Compose::Reply).to_string() on:click=move |_| mode.set(Compose::Reply)>"Reply"</button>
                <button type="button" aria-pressed=move || (mode.get() == Compose::Note).to_string() on:click=move |_| mode.set(Compose::Note)>"Private note"</button>
            </div>
            <PendingFiles files=files/>
            {move || popup.get().map(|open| {
                let (label, items): (&str, Vec<(String, String)>) = match open {
                    Popup::Canned(list) => ("Saved replies", list.into_iter().map(|r| (format!("/{}", r.shortcut), r.title)).collect()),
                    Popup::Members(_, list) => ("Teammates", list.into_iter().map(|m| (format!("@{}", m.name), String::new())).collect()),
                };
                view! {
                    <ul class="suggestions" role="listbox" id="suggestions" aria-label=label>
                        {items.into_iter().enumerate().map(|(i, (key, title))| view! {
                            <li
                                role="option"
                                id=option_id(i)
                                aria-selected=move || (highlight.get() == i).to_string()
                                on:mousedown=move |ev| { ev.prevent_default(); insert(i); }
                            >
                                <strong>{key}</strong>" "<span class="muted">{title}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }
            })}
            <label for="reply" class="sr-only">{move || if mode.get() == Compose::Note { "Private note" } else { "Reply" }}</label>
            <textarea
                id="reply"
                rows="2"
                node_ref=area
                aria-describedby="reply-help"
                placeholder=move || match (mode.get(), resolved()) {
                    (Compose::Note, _) => "Write a private note for the team... (@ mentions a teammate)",
                    (Compose::Reply, true) => "Reopen the conversation to reply",
                    (Compose::Reply, false) => "Write a reply... (/ for saved replies, Enter sends, Shift+Enter for a new line)",
                }
                prop:value=move || draft.get()
                on:input=on_input
                on:click=move |ev| {
                    let el: web_sys::HtmlTextAreaElement = event_target(&ev);
                    caret.set(el.selection_start().ok().flatten().unwrap_or(0));
                }
                on:blur=move |_| dismissed.set(true)
                on:paste=move |ev: leptos::ev::ClipboardEvent| {
                    let list = ev.clipboard_data().and_then(|d| d.files());
                    if list.as_ref().is_some_and(|l| l.length() > 0) {
                        ev.prevent_default();
                        attach(list);
                    }
                }
                on:keydown=on_keydown
                disabled=replying_closed
            ></textarea>
            <p id="reply-help" class="sr-only">"Type / at the start for saved replies; in a note, @ for a teammate. Arrow keys choose, Enter inserts, Escape closes the list."</p>
            <div class="reply-actions">
                <label class="button attach" class:hidden=move || mode.get() == Compose::Note title="Attach a file">
                    <input type="file" multiple class="sr-only" aria-label="Attach a file" on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        attach(input.files());
                        input.set_value("");
                    }/>
                    "Attach"
                </label>
                <button
                    type="button"
                    class="enhance"
                    class:locked=move || enhance_locked().is_some()
                    on:click=enhance
                    disabled=move || enhance_locked().is_some() || enhancing.get()
                    title=move || enhance_locked().unwrap_or("Rewrite the draft: clearer, polite, same meaning")
                    aria-describedby="enhance-reason"
                >
                    {move || if enhancing.get() { "Enhancing..." } else if enhance_locked().is_some() { "Enhance (Pro)" } else { "Enhance" }}
                </button>
                <button class="primary" type="submit" disabled=move || {
                    sending.get() || files.uploading() || replying_closed()
                        || (draft.with(|d| d.trim().is_empty())
                            && files.pending.with(|p| !p.iter().any(|f| matches!(f.state, State::Ready(_)))))
                }>
                    {move || if mode.get() == Compose::Note { "Add note" } else { "Send" }}
                </button>
            </div>
            <p id="enhance-reason" class="muted reason">{move || enhance_locked()}</p>
        </form>
    }
}
