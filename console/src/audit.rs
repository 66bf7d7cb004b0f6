//! The organization's Security page (admins): required two-factor sign-in,
//! how long resolved conversations are kept, a visitor's data on request
//! ([`crate::contacts`]), and the audit log, newest first, a page at a
//! time.

use echo_protocol::trust::{AuditAction, AuditActorKind, AuditEntry, UpdateOrganization};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::contacts::VisitorData;
use crate::state::Console;
use crate::time::local_time;

/// Retention choices, in days (`None`: keep forever).
const RETENTION: [(Option<u32>, &str); 6] = [
    (None, "Keep forever"),
    (Some(30), "30 days"),
    (Some(90), "90 days"),
    (Some(180), "180 days"),
    (Some(365), "1 year"),
    (Some(730), "2 years"),
];

fn describe(action: AuditAction) -> &'static str {
    match action {
        AuditAction::SignIn => "Signed in",
        AuditAction::SignInFailed => "Failed sign-in",
        AuditAction::TwoFactorEnabled => "Turned two-factor sign-in on",
        AuditAction::TwoFactorDisabled => "Turned two-factor sign-in off",
        AuditAction::RecoveryCodeUsed => "Used a recovery code",
        AuditAction::InvitationCreated => "Invited",
        AuditAction::InvitationAccepted => "Joined the team",
        AuditAction::RoleChanged => "Changed a role",
        AuditAction::MemberRemoved => "Removed a member",
        AuditAction::ApiKeyCreated => "Created an API key",
        AuditAction::ApiKeyDeleted => "Deleted an API key",
        AuditAction::IdentitySecretRotated => "Rotated the identity secret",
        AuditAction::PluginConnected => "Connected a plugin",
        AuditAction::PluginDisconnected => "Disconnected a plugin",
        AuditAction::SettingsChanged => "Changed settings",
        AuditAction::ContactExported => "Exported a visitor's data",
        AuditAction::ContactErased => "Erased a visitor's data",
        AuditAction::RetentionChanged => "Changed retention",
    }
}

fn who(entry: &AuditEntry) -> String {
    match entry.actor.kind {
        AuditActorKind::ApiKey => "API key".into(),
        AuditActorKind::Server => "Echo".into(),
        AuditActorKind::Operator => entry.actor.name.clone().unwrap_or_default(),
    }
}

fn what(entry: &AuditEntry) -> String {
    let mut text = describe(entry.action).to_owned();
    if let Some(target) = &entry.target {
        text.push_str(": ");
        text.push_str(target);
    }
    if !entry.fields.is_empty() {
        text.push_str(&format!(" ({})", entry.fields.join(", ")));
    }
    text
}

#[component]
pub fn AuditPage(console: Console) -> impl IntoView {
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let load = move |cursor: Option<String>| {
        let Some(api) = console.api() else { return };
        loading.set(true);
        spawn_local(async move {
            match api.audit_log(cursor.as_deref()).await {
                Ok(page) => {
                    entries.update(|e| e.extend(page.entries));
                    next.set(page.next_cursor);
                }
                Err(e) => console.fail(e),
            }
            loading.set(false);
        });
    };
    load(None);
    view! {
        <main class="page">
            <h2>"Security"</h2>
            <OrganizationSecurity console/>
            <VisitorData console/>
            <h3 id="audit-title">"Audit log"</h3>
            <p class="muted">"Sign-ins, two-factor changes, the team, API keys, settings, exports and erasures. Kept 400 days; nobody can change it."</p>
            <table class="audit" aria-labelledby="audit-title">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"From"</th></tr></thead>
                <tbody>
                    {move || entries.get().into_iter().map(|entry| view! {
                        <tr>
                            <td>{local_time(entry.at)}</td>
                            <td>{who(&entry)}</td>
                            <td>{what(&entry)}</td>
                            <td>{entry.address.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Show when=move || next.get().is_some()>
                <button disabled=move || loading.get() on:click=move |_| load(next.get_untracked())>"Load older entries"</button>
            </Show>
        </main>
    }
}

#[component]
fn OrganizationSecurity(console: Console) -> impl IntoView {
    let required = move || {
        console
            .plan
            .with(|p| p.as_ref().is_some_and(|p| p.require_two_factor))
    };
    let retention = move || {
        console
            .plan
            .with(|p| p.as_ref().and_then(|p| p.retention_days))
    };
    let save = move |change: UpdateOrganization| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.update_organization(&change).await {
                Ok(info) => {
                    console.plan.set(Some(info));
                    console.toast("Saved.");
                }
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <label class="toggle">
            <input type="checkbox" prop:checked=required
                on:change=move |ev| save(UpdateOrganization {
                    require_two_factor: Some(event_target_checked(&ev)),
                    ..Default::default()
                }) />
            " Require two-factor sign-in for every member"
        </label>
        <p class="muted">"Members without it are asked to set it up before they can open the inbox. API keys are not affected."</p>
        <label for="retention">"Keep resolved conversations"</label>
        <select id="retention" class="retention" on:change=move |ev| {
            let days = event_target_value(&ev).parse::<u32>().ok();
            save(UpdateOrganization { retention_days: Some(days), ..Default::default() });
        }>
            {RETENTION.into_iter().map(|(days, label)| view! {
                <option value=days.map(|d| d.to_string()).unwrap_or_default() selected=move || retention() == days>{label}</option>
            }).collect_view()}
        </select>
    }
}
