//! The admin pages: the team (invite by email with a copyable link, change
//! a role, remove a member) and the organization's API keys (create, shown
//! once, delete). The server refuses agents; the top bar hides these pages
//! from them.

use echo_protocol::team::{ApiKey, OperatorRole, TeamMember};
use echo_protocol::validate::{Email, KeyName};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;
use crate::time::local_date;

pub(crate) fn copy(console: Console, text: String) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(&text);
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => console.toast("Copied."),
            Err(_) => console.toast("Copying failed: select the text and copy it."),
        }
    });
}

/// A secret or link shown once, with a copy button.
#[component]
fn Revealed(
    console: Console,
    label: &'static str,
    value: String,
    note: &'static str,
) -> impl IntoView {
    let copied = value.clone();
    view! {
        <div class="revealed" role="status">
            <label for="revealed-value">{label}</label>
            <div class="revealed-row">
                <input id="revealed-value" readonly prop:value=value />
                <button type="button" on:click=move |_| copy(console, copied.clone())>"Copy"</button>
            </div>
            <p class="muted hint">{note}</p>
        </div>
    }
}

fn role_label(role: OperatorRole) -> &'static str {
    match role {
        OperatorRole::Admin => "Admin",
        OperatorRole::Agent => "Agent",
    }
}

#[component]
pub fn TeamView(console: Console) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(OperatorRole::Agent);
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // The member whose Remove was pressed once (the second press removes).
    let confirming = RwSignal::new(None::<echo_protocol::OperatorId>);

    let reload = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.team().await {
                Ok(team) => console.team.set(team),
                Err(e) => console.fail(e),
            }
        });
    };
    reload();

    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = match Email::parse(&email.get_untracked()) {
            Ok(address) => address.into_inner(),
            Err(e) => return error.set(Some(format!("Email {}.", e.message))),
        };
        error.set(None);
        let Some(api) = console.api() else { return };
        let chosen = role.get_untracked();
        spawn_local(async move {
            match api.invite(address, chosen).await {
                Ok(created) => {
                    link.set(Some(created.url));
                    email.set(String::new());
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    let change_role = move |member: TeamMember, next: OperatorRole| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.set_role(member.operator_id, next).await {
                Ok(_) => console.toast(format!(
                    "{} is now {}.",
                    member.name,
                    role_label(next).to_lowercase()
                )),
                Err(e) => console.fail(e),
            }
            reload();
        });
    };
    let remove = move |member: TeamMember| {
        if confirming.get_untracked() != Some(member.operator_id) {
            return confirming.set(Some(member.operator_id));
        }
        confirming.set(None);
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.remove_member(member.operator_id).await {
                Ok(()) => console.toast(format!("{} was removed from the team.", member.name)),
                Err(e) => console.fail(e),
            }
            reload();
        });
    };

    view! {
        <main class="page">
            <h2>"Team"</h2>
            <form class="invite" on:submit=invite>
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" type="email" autocomplete="off"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" on:change=move |ev| {
                        role.set(OperatorRole::parse(&event_target_value(&ev)).unwrap_or(OperatorRole::Agent))
                    }>
                        <option value="agent" selected=true>"Agent: conversations"</option>
                        <option value="admin">"Admin: also team, keys, settings"</option>
                    </select>
                </div>
                <button class="primary" type="submit">"Invite"</button>
            </form>
            <p class="error" role="alert">{move || error.get()}</p>
            {move || link.get().map(|url| view! {
                <Revealed console label="Invitation link" value=url note="Send this link to the person you invited. It works once, for 72 hours."/>
            })}
            <table class="members">
                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    <For
                        each=move || console.team.get()
                        key=|m| (m.operator_id, m.role)
                        children=move |m| {
                            let id = m.operator_id;
                            let (for_role, for_remove) = (m.clone(), m.clone());
                            let label = format!("Role of {}", m.name);
                            view! {
                                <tr>
                                    <td>{m.name.clone()}{move || (console.me() == Some(id)).then_some(" (you)")}</td>
                                    <td>{m.email.clone()}</td>
                                    <td>
                                        <select aria-label=label on:change=move |ev| {
                                            if let Some(next) = OperatorRole::parse(&event_target_value(&ev)) {
                                                change_role(for_role.clone(), next);
                                            }
                                        }>
                                            <option value="agent" selected=m.role == OperatorRole::Agent>"Agent"</option>
                                            <option value="admin" selected=m.role == OperatorRole::Admin>"Admin"</option>
                                        </select>
                                    </td>
                                    <td>
                                        <button class="danger" on:click=move |_| remove(for_remove.clone())>
                                            {move || if confirming.get() == Some(id) { "Confirm removal" } else { "Remove" }}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </main>
    }
}

#[component]
pub fn ApiKeysView(console: Console) -> impl IntoView {
    let keys = RwSignal::new(Vec::<ApiKey>::new());
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(None::<echo_protocol::ApiKeyId>);
    let reload = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.api_keys().await {
                Ok(list) => keys.set(list),
                Err(e) => console.fail(e),
            }
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let label = match KeyName::parse(&name.get_untracked()) {
            Ok(label) => label.into_inner(),
            Err(_) => return error.set(Some("Name the key (what or who uses it).".into())),
        };
        error.set(None);
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.create_api_key(label).await {
                Ok(key) => {
                    created.set(Some(key.key));
                    name.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    let delete = move |key: ApiKey| {
        if confirming.get_untracked() != Some(key.key_id) {
            return confirming.set(Some(key.key_id));
        }
        confirming.set(None);
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.delete_api_key(key.key_id).await {
                Ok(()) => console.toast(format!(
                    "The key \u{201c}{}\u{201d} no longer works.",
                    key.name
                )),
                Err(e) => console.fail(e),
            }
            reload();
        });
    };
    view! {
        <main class="page">
            <h2>"API keys"</h2>
            <p class="muted">"For scripts and integrations: a key acts as the organization (its replies are signed with the organization's name). Deleting a key stops it at once."</p>
            <form class="invite" on:submit=create>
                <div class="field">
                    <label for="key-name">"Key name"</label>
                    <input id="key-name" autocomplete="off" maxlength="100"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <button class="primary" type="submit">"Create key"</button>
            </form>
            <p class="error" role="alert">{move || error.get()}</p>
            {move || created.get().map(|key| view! {
                <Revealed console label="New API key" value=key note="Copy it now: it is not shown again."/>
            })}
            <table class="members">
                <thead><tr><th>"Name"</th><th>"Created"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    <For
                        each=move || keys.get()
                        key=|k| k.key_id
                        children=move |k| {
                            let id = k.key_id;
                            let for_delete = k.clone();
                            view! {
                                <tr>
                                    <td>{k.name.clone()}</td>
                                    <td>{local_date(k.created_at)}</td>
                                    <td>
                                        <button class="danger" on:click=move |_| delete(for_delete.clone())>
                                            {move || if confirming.get() == Some(id) { "Confirm deletion" } else { "Delete" }}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </main>
    }
}
