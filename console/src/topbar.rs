//! The workspace's top bar: the pages (admins see all four), the live
//! indicator, the organization switcher for operators in several, who is
//! signed in, and sign-out.

use echo_protocol::OrganizationId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::auth;
use crate::model::Page;
use crate::state::{Auth, Console};

#[component]
pub fn TopBar(console: Console) -> impl IntoView {
    let account = move || {
        console.auth.with(|auth| match auth {
            Auth::Session(account) => Some(account.clone()),
            _ => None,
        })
    };
    // The desk's own pages stay in sight; the rest (managed now and then)
    // sit in one menu, so the bar fits one line at any width.
    let pages = move || {
        let mut pages = vec![(Page::Inbox(None), "Inbox")];
        if console.me().is_some() {
            pages.push((Page::Mentions, "Mentions"));
        }
        pages
    };
    let settings = move || {
        let mut pages = vec![(Page::SavedReplies, "Saved replies")];
        if console.is_admin() {
            pages.extend([
                (Page::Labels, "Labels"),
                (Page::Knowledge, "Knowledge base"),
                (Page::Team, "Team"),
                (Page::ApiKeys, "API keys"),
                (Page::Widget, "Widget"),
                (Page::Audit, "Security and audit log"),
            ]);
        }
        if console.me().is_some() {
            pages.push((Page::Security, "Two-factor sign-in"));
        }
        if console.email_notifications().is_some() {
            pages.push((Page::Notifications, "Notifications"));
        }
        pages
    };
    let menu_open = RwSignal::new(false);
    let in_settings = move || {
        let current = console.page.get();
        settings().into_iter().any(|(page, _)| current.same(page))
    };
    let switch = move |ev: leptos::ev::Event| {
        let Some(id) = OrganizationId::parse(&event_target_value(&ev)) else {
            return;
        };
        spawn_local(async move {
            match auth::choose(id).await {
                Ok(account) => console.signed_in(account),
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <header class="topbar">
            <h1 class="brand">"Echo console"</h1>
            <nav class="pages" aria-label="Pages">
                {move || pages().into_iter().map(|(page, label)| view! {
                    <button
                        class="ghost"
                        aria-current=move || console.page.get().same(page).then_some("page")
                        on:click=move |_| match page {
                            Page::Inbox(_) => console.show_inbox(),
                            page => console.page.set(page),
                        }
                    >
                        {label}
                        {(page == Page::Mentions).then(|| view! {
                            <Show when=move || { console.desk.unread.get() > 0 }>
                                <span class="count" aria-label=move || format!("{} unread", console.desk.unread.get())>{move || console.desk.unread.get()}</span>
                            </Show>
                        })}
                    </button>
                }).collect_view()}
                <div class="menu">
                    <button
                        class="ghost"
                        aria-expanded=move || menu_open.get().to_string()
                        aria-controls="settings-menu"
                        aria-current=move || in_settings().then_some("page")
                        on:click=move |_| menu_open.update(|o| *o = !*o)
                    >"Settings"</button>
                    <Show when=move || menu_open.get()>
                        <div id="settings-menu" class="menu-list" on:keydown=move |ev| if ev.key() == "Escape" { menu_open.set(false) }>
                            {settings().into_iter().map(|(page, label)| view! {
                                <button
                                    class="ghost"
                                    aria-current=move || console.page.get().same(page).then_some("page")
                                    on:click=move |_| {
                                        menu_open.set(false);
                                        console.page.set(page);
                                    }
                                >{label}</button>
                            }).collect_view()}
                        </div>
                    </Show>
                </div>
            </nav>
            <button class="ghost keys-help" aria-label="Keyboard shortcuts" aria-keyshortcuts="?" on:click=move |_| console.desk.shortcuts_open.update(|o| *o = !*o)>"?"</button>
            <span class=move || if console.live.get() { "live on" } else { "live" }>
                {move || if console.live.get() { "Live" } else { "Reconnecting..." }}
            </span>
            {move || account().filter(|a| a.organizations.len() > 1).map(|a| {
                let active = a.active_organization_id;
                view! {
                    <label class="sr-only" for="organization">"Organization"</label>
                    <select id="organization" class="switcher" on:change=switch>
                        {a.organizations.into_iter().map(|m| view! {
                            <option value=m.organization_id.to_string() selected=Some(m.organization_id) == active>
                                {m.name}
                            </option>
                        }).collect_view()}
                    </select>
                }
            })}
            {move || account().map(|a| view! { <span class="who-am-i" title=a.operator.email.clone()>{a.operator.name}</span> })}
            <button class="ghost" on:click=move |_| console.sign_out()>"Sign out"</button>
        </header>
    }
}
