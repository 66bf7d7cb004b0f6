//! Getting an account without an invitation: the sign-up form (when the
//! server allows it), the first admin's form on an empty server (with the
//! setup token `serve` logged), the mailed link that confirms an address
//! (`#verify=...`) and the banner an unconfirmed account sees.

use echo_protocol::onboarding::{Setup, SignUp};
use echo_protocol::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::auth;
use crate::links::{forget_link, link_value};
use crate::onboarding_api;
use crate::state::{Auth, Console};

/// Confirms the address of a mailed link (`#verify=...`), wherever it is
/// opened; a signed-in console then shows the account confirmed.
pub fn verify_from_link(console: Console) {
    let Some(token) = link_value("verify") else {
        return;
    };
    forget_link();
    spawn_local(async move {
        match onboarding_api::verify_email(token).await {
            Ok(()) => {
                console.toast("Your email address is confirmed.");
                if let Ok(account) = auth::me().await {
                    console.auth.set(Auth::Session(account));
                }
            }
            Err(e) if e.is(ErrorCode::Unauthorized) => console.toast(
                "This confirmation link was used already or has expired: sign in and send a new one.",
            ),
            Err(e) => console.fail(e),
        }
    });
}

/// A labelled text field bound to `value`.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type=kind autocomplete=autocomplete
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev)) />
    }
}

#[component]
pub fn SignUpForm(console: Console, back: RwSignal<bool>) -> impl IntoView {
    let (name, email, password, organization) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let sent = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SignUp {
            name: name.get_untracked(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            organization_name: organization.get_untracked(),
        };
        pending.set(true);
        spawn_local(async move {
            match onboarding_api::sign_up(request).await {
                Ok(answer) => match auth::me().await {
                    Ok(account) => {
                        console.signed_in(account);
                        console.toast(format!(
                            "We mailed a link to {}: open it to confirm your address.",
                            answer.email
                        ));
                    }
                    // The address has an account: its owner was mailed.
                    Err(_) => sent.set(Some(answer.email)),
                },
                Err(failure) => error.set(Some(failure.message().to_owned())),
            }
            pending.set(false);
        });
    };
    view! {
        {move || match sent.get() {
            Some(address) => view! {
                <div class="card">
                    <h1>"Check your inbox"</h1>
                    <p>{format!("We sent a mail to {address}. Follow it to go on.")}</p>
                    <button type="button" class="link" on:click=move |_| back.set(false)>"Back to sign-in"</button>
                </div>
            }.into_any(),
            None => view! {
                <form class="card" on:submit=submit>
                    <h1>"Create your Echo account"</h1>
                    <p class="muted">"Your team's inbox is ready in a minute: you will be its admin."</p>
                    <Field id="sign-up-name" label="Your name" value=name autocomplete="name"/>
                    <Field id="sign-up-email" label="Work email" value=email kind="email" autocomplete="email"/>
                    <Field id="sign-up-password" label="Password (at least 10 characters)" value=password kind="password" autocomplete="new-password"/>
                    <Field id="sign-up-organization" label="Company or team name" value=organization autocomplete="organization"/>
                    <p id="sign-up-error" class="error" role="alert">{move || error.get()}</p>
                    <button class="primary" type="submit" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating..." } else { "Create account" }}
                    </button>
                    <button type="button" class="link" on:click=move |_| back.set(false)>"I have an account: sign in"</button>
                </form>
            }.into_any(),
        }}
    }
}

/// The first account of an empty server, with the token from its log.
#[component]
pub fn SetupForm(console: Console, back: RwSignal<bool>) -> impl IntoView {
    let token = RwSignal::new(link_value("setup").unwrap_or_default());
    let (name, email, password, organization) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = Setup {
            token: token.get_untracked().trim().to_owned(),
            name: name.get_untracked(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            organization_name: organization.get_untracked(),
        };
        pending.set(true);
        spawn_local(async move {
            match onboarding_api::setup(request).await {
                Ok(account) => {
                    forget_link();
                    console.signed_in(account);
                }
                Err(failure) => {
                    error.set(Some(failure.message().to_owned()));
                    pending.set(false);
                }
            }
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h1>"Set up Echo"</h1>
            <p class="muted">"This server has no account yet. Create the first admin and organization; the setup token is in the log of echo-server serve."</p>
            <Field id="setup-token" label="Setup token" value=token/>
            <Field id="setup-name" label="Your name" value=name autocomplete="name"/>
            <Field id="setup-email" label="Email" value=email kind="email" autocomplete="email"/>
            <Field id="setup-password" label="Password (at least 10 characters)" value=password kind="password" autocomplete="new-password"/>
            <Field id="setup-organization" label="Company or team name" value=organization autocomplete="organization"/>
            <p id="setup-error" class="error" role="alert">{move || error.get()}</p>
            <button class="primary" type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Creating..." } else { "Create admin account" }}
            </button>
            <button type="button" class="link" on:click=move |_| back.set(false)>"Back to sign-in"</button>
        </form>
    }
}

/// Shown until the signed-in operator confirms their address.
#[component]
pub fn VerifyBanner(console: Console) -> impl IntoView {
    let unconfirmed = move || {
        console.auth.with(|auth| match auth {
            Auth::Session(a) if !a.email_verified => Some(a.operator.email.clone()),
            _ => None,
        })
    };
    let pending = RwSignal::new(false);
    let resend = move |_| {
        pending.set(true);
        spawn_local(async move {
            match onboarding_api::resend_verification().await {
                Ok(()) => console.toast("A new link is on its way."),
                Err(e) => console.fail(e),
            }
            pending.set(false);
        });
    };
    view! {
        {move || unconfirmed().map(|address| view! {
            <div class="banner" role="region" aria-label="Email confirmation">
                <span>{format!("Confirm your email address: we mailed a link to {address}. Until then you cannot invite teammates or create API keys.")}</span>
                <button class="ghost" disabled=move || pending.get() on:click=resend>"Send again"</button>
            </div>
        })}
    }
}
