//! Who the visitor is: what their browser reported, read by the server
//! (browser, system, device, language, their local time), where they came
//! from, whether their identity is verified, and their other conversations
//! here, each a link.

use echo_protocol::desk::{VisitorContext, VisitorMatch};
use leptos::prelude::*;

use crate::state::Console;
use crate::time::local_time;

/// `2026-12-05T21:04` as `21:04` (the date only when it is another day).
fn clock(local: &str, zone: Option<&str>) -> String {
    let (date, time) = local.split_once('T').unwrap_or((local, ""));
    let today = String::from(js_sys::Date::new_0().to_iso_string())
        .get(..10)
        .map(str::to_owned);
    let when = if today.as_deref() == Some(date) {
        time.to_owned()
    } else {
        format!("{date} {time}")
    };
    match zone {
        Some(zone) => format!("{when} ({zone})"),
        None => when,
    }
}

fn rows(c: &VisitorContext) -> Vec<(&'static str, String)> {
    let device = match c.device.as_str() {
        "desktop" => "Computer",
        "mobile" => "Phone",
        "tablet" => "Tablet",
        "bot" => "Bot",
        _ => "Unknown",
    };
    [
        ("Browser", c.browser.clone()),
        ("System", c.os.clone()),
        ("Device", Some(device.to_owned())),
        ("Language", c.language.clone()),
        (
            "Local time",
            c.local_time
                .as_deref()
                .map(|t| clock(t, c.time_zone.as_deref()))
                .or_else(|| c.time_zone.clone()),
        ),
        ("Page", c.page.clone()),
        ("Came from", c.referrer.clone()),
        ("Verified user", c.user_id.clone()),
        ("First seen", Some(local_time(c.first_seen_at))),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}

#[component]
pub fn ContextPanel(console: Console) -> impl IntoView {
    let context = move || {
        console
            .open
            .with(|o| o.as_ref().and_then(|o| o.context.clone()))
    };
    let email = move || {
        console
            .detail()
            .map(|d| d.visitor.email)
            .filter(|e| !e.is_empty())
    };
    view! {
        // Focusable, so the keyboard can scroll it (axe: scrollable-region-focusable).
        <aside class="context" aria-label="Visitor" tabindex="0">
            <h3>"Visitor"</h3>
            {move || email().map(|e| view! { <p class="context-email">{e}</p> })}
            {move || match context() {
                None => view! { <p class="muted">"Loading..."</p> }.into_any(),
                Some(c) => {
                    let others = c.conversations.clone();
                    view! {
                        <dl class="facts">
                            {rows(&c).into_iter().map(|(k, v)| {
                                let title = v.clone();
                                view! { <dt>{k}</dt><dd title=title>{v}</dd> }
                            }).collect_view()}
                        </dl>
                        <h3>"Other conversations"</h3>
                        <Show when={let empty = others.is_empty(); move || empty}>
                            <p class="muted">"None."</p>
                        </Show>
                        <ul class="others">
                            {others.into_iter().map(|o| {
                                let id = o.conversation_id;
                                let preview = o.last_message.map(|m| m.text).unwrap_or_default();
                                let unverified = o.matched_by == VisitorMatch::UnverifiedEmail;
                                view! {
                                    <li>
                                        <button class="other" on:click=move |_| console.open(id)>
                                            <span class="item-top">
                                                <span class=format!("badge {}", o.status.as_str())>{o.status.as_str()}</span>
                                                <span class="muted small">{local_time(o.created_at)}</span>
                                            </span>
                                            <span class="preview">{preview}</span>
                                            {unverified.then(|| view! {
                                                <span class="unverified small">"Same email, not verified"</span>
                                            })}
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </aside>
    }
}
