//! The Install page (the snippet for each kind of site, the signed-in
//! visitor's hash computed on the host's server, and the sites the widget
//! was seen on) and the Plan page (the subscription and the pro features,
//! with "Upgrade" when the server has a checkout page).

use echo_protocol::onboarding::Installation;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::Console;
use crate::team::copy;
use crate::time::local_time;

/// Each kind of site and its snippet, for the loader at `src`.
fn snippets(src: &str, org: &str) -> Vec<(&'static str, String)> {
    let tag = format!(r#"<script src="{src}" data-organization-id="{org}" async></script>"#);
    vec![
        ("HTML", format!("<!-- Before </body> on every page -->\n{tag}")),
        (
            "React",
            format!(
                "import {{ useEffect }} from \"react\";\n\n// Render <EchoChat /> once, in your app's root.\nexport function EchoChat() {{\n  useEffect(() => {{\n    const script = document.createElement(\"script\");\n    script.src = \"{src}\";\n    script.dataset.organizationId = \"{org}\";\n    script.async = true;\n    document.body.appendChild(script);\n    return () => {{\n      window.EchoWidget?.destroy();\n      script.remove();\n    }};\n  }}, []);\n  return null;\n}}"
            ),
        ),
        (
            "Next.js",
            format!(
                "// app/layout.tsx (or pages/_app.tsx)\nimport Script from \"next/script\";\n\n<Script\n  src=\"{src}\"\n  data-organization-id=\"{org}\"\n  strategy=\"afterInteractive\"\n/>"
            ),
        ),
        (
            "WordPress",
            format!(
                "<?php\n// Your theme's functions.php (or a code-snippets plugin)\nadd_action('wp_footer', function () {{ ?>\n  {tag}\n<?php }});"
            ),
        ),
        (
            "Google Tag Manager",
            format!("<!-- Tags > New > Custom HTML, triggered on All Pages -->\n{tag}"),
        ),
    ]
}

/// The signed-in visitor's tag and the hash for it in each language: the
/// identity secret stays on the host's server, in an environment variable.
fn identity_snippets(src: &str, org: &str) -> Vec<(&'static str, String)> {
    let tag = format!(
        "<script src=\"{src}\" data-organization-id=\"{org}\"\n  data-user-id=\"USER_ID\" data-user-name=\"USER_NAME\" data-user-email=\"USER_EMAIL\"\n  data-user-hash=\"USER_HASH\" async></script>"
    );
    vec![
        ("Tag", tag),
        ("Node", "import { createHmac } from \"node:crypto\";\n\nconst userHash = createHmac(\"sha256\", process.env.ECHO_IDENTITY_SECRET)\n  .update(String(user.id))\n  .digest(\"hex\");".to_owned()),
        ("Python", "import hashlib, hmac, os\n\nuser_hash = hmac.new(\n    os.environ[\"ECHO_IDENTITY_SECRET\"].encode(), str(user.id).encode(), hashlib.sha256\n).hexdigest()".to_owned()),
        ("Ruby", "require \"openssl\"\n\nuser_hash = OpenSSL::HMAC.hexdigest(\"SHA256\", ENV.fetch(\"ECHO_IDENTITY_SECRET\"), user.id.to_s)".to_owned()),
        ("PHP", "<?php\n$userHash = hash_hmac('sha256', (string) $user->id, getenv('ECHO_IDENTITY_SECRET'));".to_owned()),
        ("Rust", "// hmac = \"0.12\", sha2 = \"0.10\", hex = \"0.4\"\nuse hmac::{Hmac, Mac};\n\nlet secret = std::env::var(\"ECHO_IDENTITY_SECRET\")?;\nlet mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;\nmac.update(user.id.to_string().as_bytes());\nlet user_hash = hex::encode(mac.finalize().into_bytes());".to_owned()),
    ]
}

/// Tabs of snippets, each with a copy button.
#[component]
fn Snippets(
    console: Console,
    id: &'static str,
    label: &'static str,
    items: Vec<(&'static str, String)>,
) -> impl IntoView {
    let chosen = RwSignal::new(0usize);
    let shown = items.clone();
    view! {
        <div class="snippets">
            <div role="tablist" aria-label=label>
                {items.iter().enumerate().map(|(i, (label, _))| view! {
                    <button role="tab" class="ghost" id=format!("{id}-tab-{i}")
                        aria-selected=move || (chosen.get() == i).to_string()
                        aria-controls=format!("{id}-panel")
                        on:click=move |_| chosen.set(i)>{*label}</button>
                }).collect_view()}
            </div>
            <div role="tabpanel" id=format!("{id}-panel") aria-labelledby=move || format!("{id}-tab-{}", chosen.get())>
                <pre class="code-snippet" tabindex="0" aria-label="Snippet"><code>{move || shown[chosen.get()].1.clone()}</code></pre>
                <button class="primary" on:click=move |_| {
                    copy(console, items[chosen.get_untracked()].1.clone())
                }>"Copy"</button>
            </div>
        </div>
    }
}

#[component]
pub fn InstallPage(console: Console) -> impl IntoView {
    let facts = RwSignal::new(None::<Installation>);
    let load = move || {
        if let Some(api) = console.api() {
            spawn_local(async move {
                match api.installation().await {
                    Ok(found) => facts.set(Some(found)),
                    Err(e) => console.fail(e),
                }
            });
        }
    };
    load();
    view! {
        <main class="page install">
            <h2>"Install"</h2>
            {move || facts.get().map(|f| {
                let org = f.organization_id.to_string();
                view! {
                    <p class="muted">"Add the chat to your site: paste this where your pages are made. The launcher appears at the bottom corner."</p>
                    <Snippets console id="site" label="Kind of site" items=snippets(&f.script_url, &org)/>
                    <h3>"Signed-in visitors"</h3>
                    <p class="muted">"For visitors signed in on your site, compute their hash on your server with the identity secret (Widget page) and add their details to the tag: the team then sees who they are, verified."</p>
                    <Snippets console id="identity" label="Tag and server language" items=identity_snippets(&f.script_url, &org)/>
                    <h3>"Seen on"</h3>
                    {if f.seen_on.is_empty() {
                        view! { <p class="muted" id="seen-on-none">"Not seen yet: open a page with the snippet, then check again."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="seen-on">
                                {f.seen_on.into_iter().map(|s| view! {
                                    <li><code>{s.origin}</code>" "<span class="muted">{format!("last seen {}", local_time(s.last_seen_at))}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    <button on:click=move |_| load()>"Check again"</button>
                }
            })}
        </main>
    }
}

#[component]
pub fn PlanPage(console: Console) -> impl IntoView {
    view! {
        <main class="page">
            <h2>"Plan"</h2>
            {move || console.plan.get().map(|plan| {
                let active = plan.subscription_active;
                view! {
                    <p>
                        "Subscription: "
                        <strong>{if active { "Pro (active)" } else { "Free" }}</strong>
                    </p>
                    <p class="muted">"Pro adds the AI assistant that answers visitors from your knowledge base, uploads to the knowledge base, and \"Improve\" for drafts. Everything else is in every plan."</p>
                    {plan.checkout_url.filter(|_| !active).map(|url| view! {
                        <a class="button primary" href=url target="_blank" rel="noopener">"Upgrade"</a>
                    })}
                    {(!active).then(|| view! {
                        <p class="muted hint">"The plan changes when the billing provider confirms the payment."</p>
                    })}
                }
            })}
        </main>
    }
}
