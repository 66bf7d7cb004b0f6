//! The Widget page (admins): the greeting and suggestions, the brand
//! (accent colour and theme) the widget and its launcher take, the sites
//! it may run on, and the
//! identity-verification secret (shown on request, rotated on request).

use echo_protocol::operator::WidgetSettings;
use echo_protocol::widget::WidgetTheme;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;

#[component]
pub fn WidgetSettingsView(console: Console) -> impl IntoView {
    let greeting = RwSignal::new(String::new());
    let suggestions = RwSignal::new([String::new(), String::new(), String::new()]);
    let accent = RwSignal::new("#4f46e5".to_owned());
    let theme = RwSignal::new(WidgetTheme::Auto);
    // One site per line; empty: anywhere.
    let sites = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let secret = RwSignal::new(None::<String>);
    let confirm_rotate = RwSignal::new(false);
    // Nothing can be edited or saved before the settings are read (the
    // form's fields are in one disabled fieldset until then): an edit made
    // then was drawn over when they arrived, and a save would have stored
    // the empty form (no allowed sites: the widget on any site).
    let loaded = RwSignal::new(false);

    if let Some(api) = console.api() {
        spawn_local(async move {
            match api.widget_settings().await {
                Ok(settings) => {
                    greeting.set(settings.greet_message);
                    suggestions.update(|s| {
                        for (slot, text) in s.iter_mut().zip(settings.suggestions) {
                            *slot = text;
                        }
                    });
                    if let Some(color) = settings.accent_color {
                        accent.set(color);
                    }
                    theme.set(settings.theme.unwrap_or_default());
                    sites.set(settings.allowed_origins.unwrap_or_default().join("\n"));
                    loaded.set(true);
                }
                Err(e) => console.fail(e),
            }
        });
    }

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(api) = console.api() else { return };
        let settings = WidgetSettings {
            greet_message: greeting.get_untracked(),
            suggestions: suggestions
                .get_untracked()
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect(),
            accent_color: Some(accent.get_untracked()),
            theme: Some(theme.get_untracked()),
            allowed_origins: Some(
                sites
                    .get_untracked()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            ),
            // The Voice page sets it.
            voice: None,
        };
        saving.set(true);
        spawn_local(async move {
            match api.set_widget_settings(&settings).await {
                Ok(_) => console.toast("Saved: visitors see it the next time the widget opens."),
                Err(e) => console.fail(e),
            }
            saving.set(false);
        });
    };
    let reveal = move |rotate: bool| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            let answer = if rotate {
                api.rotate_identity_secret().await
            } else {
                api.identity_secret().await
            };
            match answer {
                Ok(value) => {
                    secret.set(Some(value));
                    if rotate {
                        console
                            .toast("A new secret: hashes made with the old one no longer verify.");
                    }
                }
                Err(e) => console.fail(e),
            }
            confirm_rotate.set(false);
        });
    };

    view! {
        <main class="page">
            <h2>"Widget"</h2>
            <form class="settings" on:submit=save>
                <fieldset class="whole" disabled=move || !loaded.get()>
                    <div class="field">
                        <label for="greeting">"Greeting"</label>
                        <textarea id="greeting" rows="2" maxlength="500"
                            prop:value=move || greeting.get()
                            on:input=move |ev| greeting.set(event_target_value(&ev))></textarea>
                    </div>
                    <fieldset class="field">
                        <legend>"Suggestions (up to three)"</legend>
                        {(0..3).map(|i| view! {
                            <input aria-label=format!("Suggestion {}", i + 1) maxlength="100"
                                prop:value=move || suggestions.with(|s| s[i].clone())
                                on:input=move |ev| suggestions.update(|s| s[i] = event_target_value(&ev)) />
                        }).collect_view()}
                    </fieldset>
                    <div class="field inline">
                        <label for="accent">"Accent colour"</label>
                        <input id="accent" type="color"
                            prop:value=move || accent.get()
                            on:input=move |ev| accent.set(event_target_value(&ev)) />
                        <code>{move || accent.get()}</code>
                    </div>
                    <div class="field inline">
                        <label for="theme">"Theme"</label>
                        <select id="theme" on:change=move |ev| {
                            if let Some(next) = WidgetTheme::parse(&event_target_value(&ev)) {
                                theme.set(next);
                            }
                        }>
                            {[(WidgetTheme::Auto, "Follow the visitor's system"), (WidgetTheme::Light, "Light"), (WidgetTheme::Dark, "Dark")]
                                .into_iter()
                                .map(|(value, label)| view! {
                                    <option value=value.as_str() selected=move || theme.get() == value>{label}</option>
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="allowed-sites">"Allowed sites"</label>
                        <textarea id="allowed-sites" rows="3" aria-describedby="allowed-sites-hint"
                            placeholder="https://www.example.com"
                            prop:value=move || sites.get()
                            on:input=move |ev| sites.set(event_target_value(&ev))></textarea>
                        <p id="allowed-sites-hint" class="muted hint">"One per line, as https://host or https://host:port. The widget then works only on these sites (and mails link only to them). Empty: on any site."</p>
                    </div>
                    <button class="primary" type="submit" disabled=move || saving.get()>"Save"</button>
                </fieldset>
            </form>

            <h2>"Signed-in visitors"</h2>
            <p class="muted">"Your server signs each signed-in user's ID with this secret (HMAC-SHA256, lowercase hex): the userHash a verified visitor's session starts with. Keep it on your server; rotating it stops every hash made with the old one."</p>
            {move || match secret.get() {
                Some(value) => view! {
                    <div class="field">
                        <label for="identity-secret">"Identity secret"</label>
                        <input id="identity-secret" readonly prop:value=value />
                    </div>
                }.into_any(),
                None => view! {
                    <button on:click=move |_| reveal(false)>"Show the identity secret"</button>
                }.into_any(),
            }}
            <button class="danger" on:click=move |_| {
                if confirm_rotate.get_untracked() { reveal(true) } else { confirm_rotate.set(true) }
            }>
                {move || if confirm_rotate.get() { "Confirm: replace the secret" } else { "Rotate the secret" }}
            </button>
        </main>
    }
}
