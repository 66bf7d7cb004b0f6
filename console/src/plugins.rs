//! The Voice page (admins): the organization's Vapi account connected with
//! its keys (checked by the server with Vapi and kept sealed; only the last
//! four characters come back), whether Vapi still takes them, and the
//! account's phone numbers and assistants.

use echo_protocol::plugins::{
    ConnectVapi, PluginInfo, PluginList, VapiAssistants, VapiPhoneNumbers, VoiceSettings,
};
use echo_web::http::{self, ApiError, Body};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::OperatorApi;
use crate::state::Console;
use crate::time::local_time;

const VAPI: &str = "/v1/operator/plugins/vapi";

impl OperatorApi {
    pub async fn plugins(&self) -> Result<PluginList, ApiError> {
        self.call("GET", "/v1/operator/plugins", Body::Empty).await
    }

    pub async fn connect_vapi(&self, keys: &ConnectVapi) -> Result<PluginInfo, ApiError> {
        self.call("PUT", VAPI, Body::json(keys)).await
    }

    pub async fn disconnect_vapi(&self) -> Result<(), ApiError> {
        http::send(self.request("DELETE", VAPI, Body::Empty))
            .await
            .map(|_| ())
    }

    pub async fn vapi_phone_numbers(&self) -> Result<VapiPhoneNumbers, ApiError> {
        let path = format!("{VAPI}/phone-numbers");
        self.call("GET", &path, Body::Empty).await
    }

    pub async fn vapi_assistants(&self) -> Result<VapiAssistants, ApiError> {
        let path = format!("{VAPI}/assistants");
        self.call("GET", &path, Body::Empty).await
    }
}

/// Saves the widget's voice: the widget settings as they are, with `voice`.
async fn save_voice(api: &OperatorApi, voice: VoiceSettings) -> Result<(), ApiError> {
    let mut settings = api.widget_settings().await?;
    settings.voice = Some(voice);
    api.set_widget_settings(&settings).await.map(|_| ())
}

/// The account's lists, or why they could not be read.
#[derive(Clone, Default)]
struct Account {
    numbers: Vec<echo_protocol::plugins::VapiPhoneNumber>,
    assistants: Vec<echo_protocol::plugins::VapiAssistant>,
    error: Option<String>,
}

#[component]
pub fn VoicePage(console: Console) -> impl IntoView {
    let plugin = RwSignal::new(None::<PluginInfo>);
    let loaded = RwSignal::new(false);
    let account = RwSignal::new(Account::default());
    let private_key = RwSignal::new(String::new());
    let public_key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let voice = RwSignal::new(VoiceSettings::default());
    let voice_error = RwSignal::new(None::<String>);
    let load_account = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            if let Ok(settings) = api.widget_settings().await {
                voice.set(settings.voice.unwrap_or_default());
            }
            let numbers = api.vapi_phone_numbers().await;
            let assistants = api.vapi_assistants().await;
            let next = match (numbers, assistants) {
                (Ok(n), Ok(a)) => Account {
                    numbers: n.phone_numbers,
                    assistants: a.assistants,
                    error: None,
                },
                (Err(e), _) | (_, Err(e)) => Account {
                    error: Some(e.message().to_owned()),
                    ..Account::default()
                },
            };
            account.set(next);
            // A refused key is now marked: show it.
            if let Ok(list) = api.plugins().await {
                plugin.set(list.plugins.into_iter().find(|p| p.service == "vapi"));
            }
        });
    };
    let load = move || {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.plugins().await {
                Ok(list) => {
                    let vapi = list.plugins.into_iter().find(|p| p.service == "vapi");
                    let connected = vapi.is_some();
                    plugin.set(vapi);
                    loaded.set(true);
                    if connected {
                        load_account();
                    }
                }
                Err(e) => console.fail(e),
            }
        });
    };
    load();
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(api) = console.api() else { return };
        let keys = ConnectVapi {
            private_api_key: private_key.get_untracked(),
            public_api_key: public_key.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            match api.connect_vapi(&keys).await {
                Ok(info) => {
                    error.set(None);
                    private_key.set(String::new());
                    public_key.set(String::new());
                    plugin.set(Some(info));
                    console.toast("Vapi is connected.");
                    load_account();
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
            busy.set(false);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(api) = console.api() else { return };
        let chosen = voice.get_untracked();
        spawn_local(async move {
            match save_voice(&api, chosen).await {
                Ok(()) => {
                    voice_error.set(None);
                    console.toast("Saved: the widget offers it within a minute.");
                }
                Err(e) => voice_error.set(Some(e.message().to_owned())),
            }
        });
    };
    let choose = move |read: fn(&mut VoiceSettings) -> &mut Option<String>| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            voice.update(|v| *read(v) = (!value.is_empty()).then_some(value));
        }
    };
    let disconnect = move |_| {
        let Some(api) = console.api() else { return };
        spawn_local(async move {
            match api.disconnect_vapi().await {
                Ok(()) => {
                    plugin.set(None);
                    account.set(Account::default());
                    console.toast("Vapi's keys are forgotten.");
                }
                Err(e) => console.fail(e),
            }
        });
    };
    view! {
        <main class="page">
            <h2>"Voice (Vapi)"</h2>
            <p class="muted">"Connect your own Vapi account. Its keys are checked with Vapi, kept encrypted on this server, and never shown again."</p>
            <Show when=move || loaded.get() && plugin.with(Option::is_some)>
                {move || plugin.get().map(|p| view! {
                    <p class="plugin-status" role="status">
                        <strong>{if p.broken { "Vapi refuses the key: connect it again." } else { "Connected" }}</strong>
                        {format!(" since {}, key ending in {}", local_time(p.connected_at), p.key_hint)}
                    </p>
                })}
                <button on:click=disconnect>"Disconnect"</button>
                <p class="error" role="alert">{move || account.with(|a| a.error.clone())}</p>
                <h3>"Phone numbers"</h3>
                // Focusable, so the keyboard can scroll a long list (axe: scrollable-region-focusable).
                <ul class="plugin-list" tabindex="0" aria-label="Phone numbers">
                    {move || account.get().numbers.into_iter().map(|n| view! {
                        <li>{n.number.unwrap_or_else(|| n.id.clone())}" "<span class="muted">{n.name.unwrap_or_default()}</span></li>
                    }).collect_view()}
                </ul>
                <h3>"Assistants"</h3>
                <ul class="plugin-list" tabindex="0" aria-label="Assistants">
                    {move || account.get().assistants.into_iter().map(|a| view! {
                        <li>{a.name.unwrap_or_else(|| a.id.clone())}</li>
                    }).collect_view()}
                </ul>
                <form class="settings" on:submit=save>
                    <h3>"In the widget"</h3>
                    <div class="field">
                        <label for="voice-assistant">"Assistant for voice calls"</label>
                        <select id="voice-assistant" on:change=choose(|v| &mut v.assistant_id)>
                            <option value="">"None: no voice calls"</option>
                            {move || account.get().assistants.into_iter().map(|a| {
                                let id = a.id.clone();
                                let value = a.id.clone();
                                view! {
                                    <option value=value selected=move || voice.with(|v| v.assistant_id.as_deref() == Some(id.as_str()))>
                                        {a.name.unwrap_or(a.id)}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="voice-number">"Number for \"Call us\""</label>
                        <select id="voice-number" on:change=choose(|v| &mut v.phone_number_id)>
                            <option value="">"None: no number shown"</option>
                            {move || account.get().numbers.into_iter().map(|n| {
                                let id = n.id.clone();
                                let value = n.id.clone();
                                view! {
                                    <option value=value selected=move || voice.with(|v| v.phone_number_id.as_deref() == Some(id.as_str()))>
                                        {n.number.unwrap_or(n.id)}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                    <p class="error" role="alert">{move || voice_error.get()}</p>
                    <button class="primary" type="submit">"Save voice settings"</button>
                </form>
            </Show>
            <form class="settings" on:submit=connect>
                <h3>{move || if plugin.with(Option::is_some) { "Replace the keys" } else { "Connect" }}</h3>
                <div class="field">
                    <label for="vapi-private">"Private API key"</label>
                    <input id="vapi-private" type="password" autocomplete="off" required
                        prop:value=move || private_key.get()
                        on:input=move |ev| private_key.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="vapi-public">"Public API key"</label>
                    <input id="vapi-public" type="password" autocomplete="off" required
                        prop:value=move || public_key.get()
                        on:input=move |ev| public_key.set(event_target_value(&ev))/>
                </div>
                <p class="error" role="alert">{move || error.get()}</p>
                <button class="primary" type="submit" disabled=move || busy.get()>"Connect Vapi"</button>
            </form>
        </main>
    }
}
