//! Getting in: sign-in with email and password (or, for scripts and older
//! set-ups, an API key kept in sessionStorage), the accept page an
//! invitation link opens, and the organization chooser for operators who
//! belong to several.

use echo_protocol::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use echo_protocol::trust::SignInAnswer;

use echo_protocol::onboarding::SetupStatus;

use crate::api::{auth, OperatorApi};
use crate::links::{forget_link, link_value};
use crate::onboarding_api;
use crate::sign_up::{SetupForm, SignUpForm};
use crate::state::{session_storage, Auth, Console, KEY_STORAGE};
use crate::trust_api;
use crate::two_factor::CodeForm;

#[component]
pub fn SignIn(console: Console) -> impl IntoView {
    let with_key = RwSignal::new(false);
    // Set when the password was right and a second factor is needed.
    let challenge = RwSignal::new(None::<String>);
    // Whether the server is empty (the first admin's form) or open to
    // sign-up (a link to its form); asked once.
    let status = RwSignal::new(None::<SetupStatus>);
    let signing_up = RwSignal::new(link_value("sign-up").is_some());
    // The link `serve` logs on an empty server opens the first admin's form.
    let setting_up = RwSignal::new(link_value("setup").is_some());
    spawn_local(async move {
        if let Ok(found) = onboarding_api::setup_status().await {
            status.set(Some(found));
        }
    });
    let needed = move || status.with(|s| s.as_ref().is_some_and(|s| s.needed));
    let open = move || status.with(|s| s.as_ref().is_some_and(|s| s.sign_up));
    // Only a change of form rebuilds it: the server's answer about sign-up
    // often lands after typing has begun, and must not wipe what was typed.
    let form = Memo::new(move |_| {
        if needed() && setting_up.get() {
            Form::Setup
        } else if let Some(pending) = challenge.get() {
            Form::SecondFactor(pending)
        } else if signing_up.get() && open() {
            Form::SignUp
        } else if with_key.get() {
            Form::Key
        } else {
            Form::Password
        }
    });
    view! {
        <main class="sign-in">
            {move || match form.get() {
                Form::Setup => view! { <SetupForm console back=setting_up/> }.into_any(),
                Form::SecondFactor(pending) => {
                    view! { <CodeForm console challenge=pending back=challenge/> }.into_any()
                }
                Form::SignUp => view! { <SignUpForm console back=signing_up/> }.into_any(),
                Form::Key => view! { <KeyForm console back=with_key/> }.into_any(),
                Form::Password => view! {
                    <Show when=needed>
                        <p class="sign-up-offer">
                            "This server has no account yet. "
                            <button type="button" class="link" on:click=move |_| setting_up.set(true)>"Create the first admin"</button>
                        </p>
                    </Show>
                    <PasswordForm console with_key=with_key challenge/>
                    <Show when=open>
                        <p class="sign-up-offer">
                            "New to Echo? "
                            <button type="button" class="link" on:click=move |_| signing_up.set(true)>"Create an account"</button>
                        </p>
                    </Show>
                }.into_any(),
            }}
        </main>
    }
}

/// Which of the sign-in page's forms is up.
#[derive(Clone, PartialEq)]
enum Form {
    Setup,
    SecondFactor(String),
    SignUp,
    Key,
    Password,
}

#[component]
fn PasswordForm(
    console: Console,
    with_key: RwSignal<bool>,
    challenge: RwSignal<Option<String>>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (e, p) = (
            email.get_untracked().trim().to_owned(),
            password.get_untracked(),
        );
        if e.is_empty() || p.is_empty() {
            error.set(Some("Enter your email and password.".into()));
            return;
        }
        pending.set(true);
        spawn_local(async move {
            match trust_api::sign_in(e, p).await {
                Ok(SignInAnswer::Account(account)) => console.signed_in(account),
                Ok(SignInAnswer::TwoFactor(second)) => {
                    pending.set(false);
                    challenge.set(Some(second.challenge));
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
            <h1>"Echo console"</h1>
            <p class="muted">"Sign in to your team's inbox."</p>
            <label for="email">"Email"</label>
            <input id="email" type="email" autocomplete="username"
                prop:value=move || email.get()
                on:input=move |ev| email.set(event_target_value(&ev)) />
            <label for="password">"Password"</label>
            <input id="password" type="password" autocomplete="current-password"
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="sign-in-error" />
            <p id="sign-in-error" class="error" role="alert">{move || error.get()}</p>
            <button class="primary" type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Signing in..." } else { "Sign in" }}
            </button>
            <button type="button" class="link" on:click=move |_| with_key.set(true)>
                "Use an API key instead"
            </button>
        </form>
    }
}

#[component]
fn KeyForm(console: Console, back: RwSignal<bool>) -> impl IntoView {
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let candidate = key.get_untracked().trim().to_owned();
        if candidate.is_empty() {
            error.set(Some("Enter one of your organization's API keys.".into()));
            return;
        }
        pending.set(true);
        spawn_local(async move {
            match OperatorApi::with_key(candidate.clone())
                .organization()
                .await
            {
                Ok(_) => {
                    if let Some(storage) = session_storage() {
                        let _ = storage.set_item(KEY_STORAGE, &candidate);
                    }
                    console.auth.set(Auth::Key(candidate));
                }
                Err(e) if e.is(ErrorCode::Unauthorized) => {
                    error.set(Some("That key was not accepted.".into()))
                }
                Err(e) => console.toast(e.message()),
            }
            pending.set(false);
        });
    };
    view! {
        <form class="card" on:submit=submit>
            <h1>"Echo console"</h1>
            <p class="muted">"Sign in with one of your organization's API keys (for scripts and shared screens; it acts as the organization, not as a person)."</p>
            <label for="operator-key">"API key"</label>
            <input
                id="operator-key"
                type="password"
                autocomplete="off"
                placeholder="ok_..."
                prop:value=move || key.get()
                on:input=move |ev| key.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="operator-key-error"
            />
            <p id="operator-key-error" class="error" role="alert">{move || error.get()}</p>
            <button class="primary" type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Signing in..." } else { "Sign in" }}
            </button>
            <button type="button" class="link" on:click=move |_| back.set(false)>
                "Sign in with email and password"
            </button>
        </form>
    }
}

#[component]
pub fn AcceptInvitation(console: Console, token: RwSignal<Option<String>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(secret) = token.get_untracked() else {
            return;
        };
        pending.set(true);
        let (n, p) = (name.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match auth::accept(secret, n, p).await {
                Ok(account) => {
                    forget_link();
                    console.signed_in(account);
                    token.set(None);
                }
                Err(failure) => {
                    error.set(Some(match failure.code() {
                        Some(ErrorCode::NotFound) => "This invitation link was used already or has expired. Ask an admin of your team for a new one.".into(),
                        Some(ErrorCode::Unauthorized) => "This email already has an Echo account: enter that account's password.".into(),
                        _ => failure.message().to_owned(),
                    }));
                    pending.set(false);
                }
            }
        });
    };
    let skip = move |_| {
        forget_link();
        token.set(None);
    };
    view! {
        <main class="sign-in">
            <form class="card" on:submit=submit>
                <h1>"Join your team on Echo"</h1>
                <p class="muted">"You were invited to answer your company's support chat. Choose how your name appears to visitors, and a password."</p>
                <label for="name">"Your name"</label>
                <input id="name" autocomplete="name" maxlength="100"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="new-password">"Password"</label>
                <input id="new-password" type="password" autocomplete="new-password"
                    aria-describedby="password-hint accept-error"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev)) />
                <p id="password-hint" class="muted hint">"At least 10 characters. Already have an Echo account with this email? Enter its password; your name stays as it is."</p>
                <p id="accept-error" class="error" role="alert">{move || error.get()}</p>
                <button class="primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Joining..." } else { "Join the team" }}
                </button>
                <button type="button" class="link" on:click=skip>"I already have access: sign in"</button>
            </form>
        </main>
    }
}

#[component]
pub fn ChooseOrganization(console: Console) -> impl IntoView {
    let creating = RwSignal::new(false);
    let organizations = move || {
        console.auth.with(|auth| match auth {
            Auth::Session(account) => account.organizations.clone(),
            _ => Vec::new(),
        })
    };
    view! {
        <main class="sign-in">
            <div class="card">
                <h1>"Choose an organization"</h1>
                <p class="muted">"You belong to several teams. Which inbox do you want to open?"</p>
                <ul class="choices">
                    {move || organizations().into_iter().map(|m| {
                        let id = m.organization_id;
                        view! {
                            <li>
                                <button class="choice" on:click=move |_| {
                                    spawn_local(async move {
                                        match auth::choose(id).await {
                                            Ok(account) => console.signed_in(account),
                                            Err(e) => console.fail(e),
                                        }
                                    });
                                }>
                                    <strong>{m.name.clone()}</strong>
                                    <span class="muted">{m.role.as_str()}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <button type="button" on:click=move |_| creating.set(true)>"New organization"</button>
                <button type="button" class="link" on:click=move |_| console.sign_out()>"Sign out"</button>
            </div>
            <crate::topbar::NewOrganizationDialog console open=creating/>
        </main>
    }
}
