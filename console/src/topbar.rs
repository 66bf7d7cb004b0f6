//! The workspace's top bar: the pages (admins see all four), the live
//! indicator, the organization switcher for operators in several, who is
//! signed in, and sign-out.

use echo_protocol::OrganizationId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::auth;
use crate::model::Page;
use crate::state::{Auth, Console};

/// The switcher's last option.
const NEW_ORGANIZATION: &str = "new";

/// A name for a new organization; the operator becomes its admin and the
/// console switches to it.
#[component]
pub fn NewOrganizationDialog(console: Console, open: RwSignal<bool>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = name.get_untracked();
        spawn_local(async move {
            match crate::onboarding_api::create_organization(chosen).await {
                Ok(account) => {
                    open.set(false);
                    name.set(String::new());
                    console.signed_in(account);
                    console.toast("Organization created: you are its admin.");
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    view! {
        <Show when=move || open.get()>
            <div class="scrim" on:click=move |_| open.set(false)></div>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="new-org-title"
                on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                <h2 id="new-org-title">"New organization"</h2>
                <form on:submit=submit>
                    <label for="new-org-name">"Name"</label>
                    <input id="new-org-name" autofocus maxlength="100"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                    <p class="error" role="alert">{move || error.get()}</p>
                    <div class="actions">
                        <button type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                        <button class="primary" type="submit">"Create"</button>
                    </div>
                </form>
            </div>
        </Show>
    }
}

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
        pages.push((Page::Reports, "Reports"));
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
                (Page::Hours, "Business hours"),
                (Page::Voice, "Voice (Vapi)"),
                (Page::Install, "Install"),
                (Page::Plan, "Plan"),
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
    let creating = RwSignal::new(false);
    let switch = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if value == NEW_ORGANIZATION {
            creating.set(true);
            // The select goes back to the organization acted in.
            if let Some(active) = console.auth.with_untracked(|auth| match auth {
                Auth::Session(a) => a.active_organization_id,
                _ => None,
            }) {
                if let Some(select) = ev.target().and_then(|t| {
                    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok()
                }) {
                    select.set_value(&active.to_string());
                }
            }
            return;
        }
        let Some(id) = OrganizationId::parse(&value) else {
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
            {move || account().map(|a| {
                let active = a.active_organization_id;
                view! {
                    <label class="sr-only" for="organization">"Organization"</label>
                    <select id="organization" class="switcher" on:change=switch>
                        {a.organizations.into_iter().map(|m| view! {
                            <option value=m.organization_id.to_string() selected=Some(m.organization_id) == active>
                                {m.name}
                            </option>
                        }).collect_view()}
                        <option value=NEW_ORGANIZATION>"New organization..."</option>
                    </select>
                }
            })}
            <NewOrganizationDialog console open=creating/>
            {move || account().map(|a| view! { <span class="who-am-i" title=a.operator.email.clone()>{a.operator.name}</span> })}
            <button class="ghost" on:click=move |_| console.sign_out()>"Sign out"</button>
        </header>
    }
}
