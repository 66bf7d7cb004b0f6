//! The Saved replies page: the team's (admins edit them) and the
//! operator's own. Typing `/` at the start of the reply box inserts one.

use echo_protocol::desk::{CannedReply, CannedScope, CreateCannedReply, UpdateCannedReply};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

#[component]
pub fn SavedRepliesPage(console: Console) -> impl IntoView {
    let desk = console.desk;
    let shortcut = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let team = RwSignal::new(false);
    let editing = RwSignal::new(None::<CannedReply>);
    let reload = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.canned_replies().await {
                Ok(list) => desk.canned.set(list),
                Err(e) => console.fail(e),
            }
        });
    };
    reload();
    let reset = move || {
        shortcut.set(String::new());
        title.set(String::new());
        text.set(String::new());
        editing.set(None);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(api) = console.api() else { return };
        let (s, t, body) = (
            shortcut.get_untracked(),
            title.get_untracked(),
            text.get_untracked(),
        );
        let editing_now = editing.get_untracked();
        let scope = if team.get_untracked() {
            CannedScope::Team
        } else {
            CannedScope::Personal
        };
        spawn_local(async move {
            let saved = match editing_now {
                Some(reply) => {
                    let change = UpdateCannedReply {
                        shortcut: Some(s),
                        title: Some(t),
                        text: Some(body),
                    };
                    api.update_canned(reply.id, &change).await
                }
                None => {
                    let create = CreateCannedReply {
                        shortcut: s,
                        title: t,
                        text: body,
                        scope,
                    };
                    api.create_canned(&create).await
                }
            };
            match saved {
                Ok(_) => {
                    reset();
                    reload();
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let edit = move |reply: CannedReply| {
        shortcut.set(reply.shortcut.clone());
        title.set(reply.title.clone());
        text.set(reply.text.clone());
        team.set(reply.scope == CannedScope::Team);
        editing.set(Some(reply));
    };
    let remove = move |reply: CannedReply| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.delete_canned(reply.id).await {
                Ok(()) => reload(),
                Err(e) => console.fail(e),
            }
        });
    };
    // An agent may change only their own; an admin, the team's too.
    let may_change =
        move |reply: &CannedReply| reply.scope == CannedScope::Personal || console.is_admin();
    view! {
        <main class="page">
            <h2>"Saved replies"</h2>
            <p class="muted hint">"Type / at the start of a reply to insert one. Variables: {{visitor.name}}, {{visitor.email}}, {{operator.name}}, {{organization.name}}."</p>
            <form class="settings" on:submit=save>
                <div class="field">
                    <label for="canned-shortcut">"Shortcut (a-z, 0-9, -)"</label>
                    <input id="canned-shortcut" required maxlength="32" pattern="[a-z0-9-]{1,32}" prop:value=shortcut on:input=move |ev| shortcut.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="canned-title">"Title"</label>
                    <input id="canned-title" required maxlength="100" prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="canned-text">"Text (markdown)"</label>
                    <textarea id="canned-text" required rows="4" maxlength="4000" prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </div>
                <Show when=move || console.is_admin() && editing.with(Option::is_none)>
                    <label class="toggle">
                        <input type="checkbox" prop:checked=team on:change=move |ev| team.set(event_target_checked(&ev))/>
                        "For the whole team"
                    </label>
                </Show>
                <div class="actions">
                    <button class="primary" type="submit">{move || if editing.with(Option::is_some) { "Save changes" } else { "Add saved reply" }}</button>
                    <Show when=move || editing.with(Option::is_some)>
                        <button type="button" on:click=move |_| reset()>"Cancel"</button>
                    </Show>
                </div>
            </form>
            <table class="members">
                <thead><tr><th>"Shortcut"</th><th>"Title"</th><th>"For"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    {move || desk.canned.get().into_iter().map(|reply| {
                        let changeable = may_change(&reply);
                        let (edited, removed) = (reply.clone(), reply.clone());
                        view! {
                            <tr>
                                <td><code>{format!("/{}", reply.shortcut)}</code></td>
                                <td>{reply.title.clone()}</td>
                                <td>{if reply.scope == CannedScope::Team { "Team" } else { "You" }}</td>
                                <td>
                                    <Show when=move || changeable>
                                        <button on:click={let r = edited.clone(); move |_| edit(r.clone())}>"Edit"</button>
                                        <button class="danger" on:click={let r = removed.clone(); move |_| remove(r.clone())}>"Delete"</button>
                                    </Show>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </main>
    }
}
