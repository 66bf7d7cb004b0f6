//! Two-factor sign-in in the console: the code step of signing in, the
//! operator's own Security page (set up with a QR code and a first code,
//! recovery codes shown once, turning it off), and the screen a member
//! sees first when their organization requires it and they have not set
//! it up.

use echo_protocol::trust::TwoFactorSetup;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::auth;
use crate::state::{Auth, Console};
use crate::trust_api;

/// The second step of signing in: a code from the app, or a recovery code.
#[component]
pub fn CodeForm(
    console: Console,
    challenge: String,
    back: RwSignal<Option<String>>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let recovery = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let challenge = StoredValue::new(challenge);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked().trim().to_owned();
        if typed.is_empty() {
            error.set(Some("Enter the code.".into()));
            return;
        }
        pending.set(true);
        let use_recovery = recovery.get_untracked();
        spawn_local(async move {
            match trust_api::complete(challenge.get_value(), typed, use_recovery).await {
                Ok(account) => console.signed_in(account),
                Err(failure) => {
                    error.set(Some(failure.message().to_owned()));
                    code.set(String::new());
                    pending.set(false);
                }
            }
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h1>"Two-factor sign-in"</h1>
            <p class="muted">{move || if recovery.get() {
                "Enter one of the recovery codes you saved when you turned two-factor sign-in on. Each works once."
            } else {
                "Enter the six-digit code your authenticator app shows for Echo."
            }}</p>
            <label for="two-factor-code">{move || if recovery.get() { "Recovery code" } else { "Code" }}</label>
            <input id="two-factor-code" autocomplete="one-time-code"
                inputmode=move || if recovery.get() { "text" } else { "numeric" }
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="two-factor-error" />
            <p id="two-factor-error" class="error" role="alert">{move || error.get()}</p>
            <button class="primary" type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Checking..." } else { "Sign in" }}
            </button>
            <button type="button" class="link" on:click=move |_| {
                recovery.update(|r| *r = !*r);
                code.set(String::new());
                error.set(None);
            }>
                {move || if recovery.get() { "Use a code from the app" } else { "Use a recovery code" }}
            </button>
            <button type="button" class="link" on:click=move |_| back.set(None)>"Start over"</button>
        </form>
    }
}

/// The QR code as an image: the SVG the server drew, as a data URL (the
/// console's policy allows `data:` images, never inline markup).
fn qr_image(svg: &str) -> String {
    let encoded = web_sys::window()
        .and_then(|w| w.btoa(svg).ok())
        .unwrap_or_default();
    format!("data:image/svg+xml;base64,{encoded}")
}

/// Setting up: the QR code and secret, then a first code, then the
/// recovery codes once. `done` runs after the codes are acknowledged.
#[component]
pub fn SetUp(console: Console, done: Callback<()>) -> impl IntoView {
    let setup = RwSignal::new(None::<TwoFactorSetup>);
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let recovery = RwSignal::new(None::<Vec<String>>);
    let pending = RwSignal::new(false);
    spawn_local(async move {
        match trust_api::setup().await {
            Ok(started) => setup.set(Some(started)),
            Err(e) => console.fail(e),
        }
    });
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked().trim().to_owned();
        pending.set(true);
        spawn_local(async move {
            match trust_api::enable(typed).await {
                Ok(codes) => recovery.set(Some(codes.recovery_codes)),
                Err(failure) => {
                    error.set(Some(failure.message().to_owned()));
                    code.set(String::new());
                }
            }
            pending.set(false);
        });
    };
    move || {
        if let Some(codes) = recovery.get() {
            return view! {
                <section class="two-factor" aria-labelledby="recovery-title">
                    <h3 id="recovery-title">"Two-factor sign-in is on"</h3>
                    <p>"Save these recovery codes somewhere safe. Each signs you in once if you lose your phone. They are shown only now."</p>
                    <ul class="recovery-codes" aria-label="Recovery codes">
                        {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ul>
                    <button class="primary" on:click=move |_| done.run(())>"I saved them"</button>
                </section>
            }
            .into_any();
        }
        let Some(started) = setup.get() else {
            return view! { <p class="muted">"Preparing..."</p> }.into_any();
        };
        view! {
            <form class="two-factor" on:submit=confirm>
                <p>"Scan this code with an authenticator app (such as 1Password, Google Authenticator or Aegis), then enter the six-digit code it shows."</p>
                <img class="qr" src=qr_image(&started.qr_svg) width="200" height="200"
                    alt="QR code to add Echo to an authenticator app" />
                <p class="muted">"Cannot scan? Type this key into the app: "
                    <code class="secret" data-secret=started.secret.clone()>{started.secret.clone()}</code>
                </p>
                <label for="first-code">"Code from the app"</label>
                <input id="first-code" autocomplete="one-time-code" inputmode="numeric"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="first-code-error" />
                <p id="first-code-error" class="error" role="alert">{move || error.get()}</p>
                <button class="primary" type="submit" disabled=move || pending.get()>"Turn on"</button>
            </form>
        }
        .into_any()
    }
}

/// Reloads the account, so `twoFactorEnabled` and `twoFactorRequired` are
/// current (the workspace opens once the requirement is met).
fn refresh_account(console: Console) {
    spawn_local(async move {
        match auth::me().await {
            Ok(account) => console.auth.set(Auth::Session(account)),
            Err(e) => console.fail(e),
        }
    });
}

/// The operator's own Security page.
#[component]
pub fn SecurityPage(console: Console) -> impl IntoView {
    // A memo: a refresh of the account that leaves this alone must not
    // rebuild the form below, and lose what was typed in it.
    let enabled = Memo::new(move |_| {
        console.auth.with(|auth| match auth {
            Auth::Session(account) => account.two_factor_enabled,
            _ => false,
        })
    });
    let setting_up = RwSignal::new(false);
    let done = Callback::new(move |()| {
        setting_up.set(false);
        refresh_account(console);
    });
    view! {
        <main class="page">
            <h2>"Security"</h2>
            <h3>"Two-factor sign-in"</h3>
            {move || if enabled.get() {
                view! { <TurnOff console/> }.into_any()
            } else if setting_up.get() {
                view! { <SetUp console done/> }.into_any()
            } else {
                view! {
                    <p>"Off. With it on, signing in needs a code from an app on your phone as well as your password, so a stolen password alone cannot open your inbox."</p>
                    <button class="primary" on:click=move |_| setting_up.set(true)>"Set up two-factor sign-in"</button>
                }.into_any()
            }}
        </main>
    }
}

#[component]
fn TurnOff(console: Console) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (p, c) = (password.get_untracked(), code.get_untracked());
        spawn_local(async move {
            match trust_api::disable(p, c.trim().to_owned()).await {
                Ok(()) => {
                    console.toast("Two-factor sign-in is off.");
                    refresh_account(console);
                }
                Err(failure) => error.set(Some(failure.message().to_owned())),
            }
        });
    };
    view! {
        <p>"On: signing in asks for a code from your authenticator app."</p>
        <form class="settings" on:submit=submit>
            <p class="muted">"To turn it off, confirm with your password and a current code (or a recovery code)."</p>
            <label for="off-password">"Password"</label>
            <input id="off-password" type="password" autocomplete="current-password"
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev)) />
            <label for="off-code">"Code"</label>
            <input id="off-code" autocomplete="one-time-code"
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
                aria-describedby="off-error" />
            <p id="off-error" class="error" role="alert">{move || error.get()}</p>
            <button type="submit">"Turn off"</button>
        </form>
    }
}

/// What a member of an organization that requires two-factor sign-in sees
/// before anything else until they set it up.
#[component]
pub fn RequiredScreen(console: Console) -> impl IntoView {
    let done = Callback::new(move |()| refresh_account(console));
    view! {
        <main class="sign-in">
            <div class="card wide">
                <h1>"Set up two-factor sign-in"</h1>
                <p class="muted">"Your organization requires a second factor to open its inbox. It takes a minute."</p>
                <SetUp console done/>
                <button type="button" class="link" on:click=move |_| console.sign_out()>"Sign out"</button>
            </div>
        </main>
    }
}
