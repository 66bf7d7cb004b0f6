//! Labels: their chips (on inbox rows and in the conversation), the
//! picker that sets a conversation's, and the admins' Labels page. A
//! label's colour is a dot beside its name: text keeps its contrast in
//! both themes whatever the colour.

use echo_protocol::desk::{Label, UpdateLabel};
use echo_protocol::ConversationId;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

#[component]
pub fn LabelChips(labels: Vec<Label>) -> impl IntoView {
    (!labels.is_empty()).then(|| {
        view! {
            <span class="chips">
                {labels.into_iter().map(|l| view! {
                    <span class="chip"><span class="dot" style:--label=l.color></span>{l.name}</span>
                }).collect_view()}
            </span>
        }
    })
}

/// Ticks the conversation's labels on and off.
#[component]
pub fn LabelPicker(console: Console, id: ConversationId) -> impl IntoView {
    let current = move || console.detail().map(|d| d.labels).unwrap_or_default();
    let toggle = move |label: Label, on: bool| {
        let mut ids: Vec<_> = current().into_iter().map(|l| l.id).collect();
        if on {
            ids.push(label.id);
        } else {
            ids.retain(|l| *l != label.id);
        }
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.set_labels(id, ids).await {
                Ok(labels) => console.update_open(id, |o| {
                    if let Some(d) = o.detail.as_mut() {
                        d.labels = labels;
                    }
                }),
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <div class="label-bar">
            {move || view! { <LabelChips labels=current()/> }}
            <details class="picker">
                <summary>"Labels"</summary>
                <div class="picker-menu" role="group" aria-label="Labels">
                    <Show when=move || console.desk.labels.with(Vec::is_empty)>
                        <p class="muted small">"No labels yet. Admins add them on the Labels page."</p>
                    </Show>
                    // Keyed: a reload of the same labels (another tab, the
                    // stream) keeps each box, so a click in flight is not
                    // lost to a box drawn anew.
                    <For
                        each=move || console.desk.labels.get()
                        key=|label| (label.id, label.name.clone(), label.color.clone())
                        children=move |label| {
                            let id = label.id;
                            let checked = move || current().iter().any(|l| l.id == id);
                            let chosen = label.clone();
                            view! {
                                <label class="toggle small">
                                    <input type="checkbox" prop:checked=checked on:change=move |ev| {
                                        toggle(chosen.clone(), event_target_checked(&ev));
                                    }/>
                                    <span class="dot" style:--label=label.color.clone()></span>
                                    {label.name.clone()}
                                </label>
                            }
                        }
                    />
                </div>
            </details>
        </div>
    }
}

/// The admins' page: every label, renamed, recoloured, removed or added.
#[component]
pub fn LabelsPage(console: Console) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let color = RwSignal::new("#4f46e5".to_owned());
    let reload = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.labels().await {
                Ok(labels) => console.desk.labels.set(labels),
                Err(e) => console.fail(e),
            }
        });
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api
                .create_label(name.get_untracked(), color.get_untracked())
                .await
            {
                Ok(_) => {
                    name.set(String::new());
                    reload();
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let change = move |label: Label, change: UpdateLabel| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.update_label(label.id, &change).await {
                Ok(_) => reload(),
                Err(e) => console.fail(e),
            }
        });
    };
    let remove = move |label: Label| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(&format!(
                    "Delete the label \"{}\"? It comes off every conversation.",
                    label.name
                ))
                .ok()
            })
            .unwrap_or(false);
        let Some(api) = console.api().filter(|_| confirmed) else {
            return;
        };
        spawn_local(async move {
            match api.delete_label(label.id).await {
                Ok(()) => reload(),
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <main class="page">
            <h2>"Labels"</h2>
            <p class="muted hint">"Any member files conversations under these; the inbox filters by them."</p>
            <form class="invite" on:submit=create>
                <div class="field">
                    <label for="label-name">"Name"</label>
                    <input id="label-name" maxlength="50" required prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                <div class="field inline">
                    <label for="label-color">"Colour"</label>
                    <input id="label-color" type="color" prop:value=color on:input=move |ev| color.set(event_target_value(&ev))/>
                </div>
                <button class="primary" type="submit">"Add label"</button>
            </form>
            <table class="members">
                <thead><tr><th>"Label"</th><th>"Colour"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    {move || console.desk.labels.get().into_iter().map(|label| {
                        let (renamed, recoloured, removed) = (label.clone(), label.clone(), label.clone());
                        let input_id = format!("label-{}", label.id);
                        view! {
                            <tr>
                                <td>
                                    <label class="sr-only" for=input_id.clone()>{format!("Name of {}", label.name)}</label>
                                    <input id=input_id value=label.name.clone() maxlength="50" on:change=move |ev| {
                                        change(renamed.clone(), UpdateLabel { name: Some(event_target_value(&ev)), color: None });
                                    }/>
                                </td>
                                <td>
                                    <input type="color" value=label.color.clone() aria-label=format!("Colour of {}", label.name) on:change=move |ev| {
                                        change(recoloured.clone(), UpdateLabel { name: None, color: Some(event_target_value(&ev)) });
                                    }/>
                                </td>
                                <td><button class="danger" on:click=move |_| remove(removed.clone())>"Delete"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </main>
    }
}
