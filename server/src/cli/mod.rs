//! The command line: `serve` and the administration commands, as clap
//! types, and what each command does. Defaults come from [`crate::config`]
//! and [`crate::session`]; `main.rs` only parses and calls [`Cli::run`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::MessageRole;
use echo_protocol::team::OperatorRole;
use echo_protocol::validate::Email;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};

mod limits;
mod mail;
mod serve;

use crate::accounts::PublicUrl;
use crate::admin;
use crate::clock::Clock;
use crate::config;
use crate::live::Hub;
use crate::startup::Application;
use crate::store::{self, Store, SubscriptionStatus};
use serve::ServeArgs;

#[derive(Parser)]
#[command(
    name = "echo-server",
    version,
    about = "Echo support-chat server and administration"
)]
pub struct Cli {
    /// Database to use: sqlite://PATH, or postgres://USER:PASSWORD@HOST/DB
    /// for PostgreSQL (needed for several replicas).
    #[arg(
        long,
        global = true,
        env = "ECHO_DATABASE_URL",
        hide_env_values = true,
        default_value = config::DEFAULT_DATABASE_URL
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and the widget, when built).
    Serve(Box<ServeArgs>),
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage operators (the people who sign in to the console).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Manage subscriptions.
    Subscription {
        #[command(subcommand)]
        command: SubscriptionCommand,
    },
    /// Manage an organization's widget settings.
    WidgetSettings {
        #[command(subcommand)]
        command: WidgetSettingsCommand,
    },
    /// Act on a conversation (support tooling and tests).
    Conversation {
        #[command(subcommand)]
        command: ConversationCommand,
    },
    /// Manage an organization's knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: KnowledgeCommand,
    },
    /// Manage the live-event log.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Manage the secrets kept at rest (plugins' keys).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Seals every plugin's keys again under ECHO_SECRETS_KEY, opening them
    /// with it or one of ECHO_SECRETS_OLD_KEYS; then the old keys can go.
    ReEncrypt {
        #[command(flatten)]
        secrets: serve::SecretsArgs,
    },
}

#[derive(clap::Args)]
struct LinkArgs {
    /// Where browsers reach the server (as for `serve`).
    #[arg(long, env = "ECHO_PUBLIC_URL")]
    public_url: Option<String>,
    /// The server's bind address: the links' base without --public-url.
    #[arg(long, env = "ECHO_BIND", default_value = config::DEFAULT_BIND)]
    bind: SocketAddr,
}

impl LinkArgs {
    fn public_url(&self) -> anyhow::Result<PublicUrl> {
        match &self.public_url {
            Some(url) => PublicUrl::parse(url),
            None => Ok(PublicUrl::from_bind(self.bind)),
        }
    }
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Invite someone to an organization's team; prints the invitation link
    /// (single use, valid 72 hours).
    Invite {
        organization_id: OrganizationId,
        #[arg(long)]
        email: String,
        /// admin or agent.
        #[arg(long)]
        role: OperatorRole,
        #[command(flatten)]
        links: LinkArgs,
    },
}

#[derive(Subcommand)]
enum KnowledgeCommand {
    /// Import text, Markdown, HTML or PDF files (no subscription needed);
    /// prints each as JSON.
    Add {
        organization_id: OrganizationId,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Delete events older than this many hours now (a running server also
    /// does this every hour, per --event-retention-hours). Clients resuming
    /// from before them are told to reload.
    Prune {
        #[arg(long)]
        older_than_hours: u64,
    },
}

/// Who a message from the command line is written as.
#[derive(Clone, Copy, ValueEnum)]
enum Author {
    Assistant,
    Operator,
}

impl From<Author> for MessageRole {
    fn from(author: Author) -> Self {
        match author {
            Author::Assistant => MessageRole::Assistant,
            Author::Operator => MessageRole::Operator,
        }
    }
}

#[derive(Subcommand)]
enum ConversationCommand {
    /// Post a message as the assistant or an operator; prints it as JSON.
    /// (On PostgreSQL, open push streams get it at once; on SQLite, when they
    /// next resume. The operator API delivers live on both.)
    AddMessage {
        conversation_id: ConversationId,
        #[arg(long, value_enum)]
        role: Author,
        #[arg(long)]
        text: String,
    },
    /// Set the status: unresolved, escalated or resolved.
    SetStatus {
        conversation_id: ConversationId,
        status: ConversationStatus,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization; prints {"organizationId","operatorKey"} (its
    /// first API key) and, with --owner-email, "ownerInvitationUrl".
    Create {
        #[arg(long)]
        name: String,
        /// Invite this person as the organization's first admin.
        #[arg(long)]
        owner_email: Option<String>,
        #[command(flatten)]
        links: LinkArgs,
    },
    /// Print the organization's identity secret: the key the host's server
    /// signs its users' IDs with (HMAC-SHA256, hex) for `userHash`.
    IdentitySecret {
        organization_id: OrganizationId,
        /// Make a new one first; hashes made with the old one stop working.
        #[arg(long)]
        rotate: bool,
    },
}

#[derive(Subcommand)]
enum SubscriptionCommand {
    /// Set an organization's subscription status.
    Set {
        organization_id: OrganizationId,
        #[arg(value_enum)]
        status: SubscriptionStatus,
    },
}

#[derive(Subcommand)]
enum WidgetSettingsCommand {
    /// Set the greeting and up to 3 suggestions, and optionally the brand.
    Set {
        organization_id: OrganizationId,
        #[arg(long)]
        greet: String,
        #[arg(long = "suggestion")]
        suggestions: Vec<String>,
        /// The accent colour, #rrggbb.
        #[arg(long)]
        accent_color: Option<String>,
        /// light, dark, or auto (the visitor's system setting).
        #[arg(long)]
        theme: Option<echo_protocol::widget::WidgetTheme>,
    },
}

/// The store an administration command acts on (a small pool: one command).
async fn connect(database_url: &str) -> anyhow::Result<Arc<dyn Store>> {
    store::connect(
        database_url,
        2,
        Arc::new(Hub::default()),
        crate::rules::rules(),
    )
    .await
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(args) => {
                let bind = args.bind;
                let app = Application::build(args.into_config(self.database_url)?).await?;
                tracing::info!(
                    port = app.port(),
                    "listening on http://{}:{}",
                    bind.ip(),
                    app.port()
                );
                Ok(app.run_until_stopped().await?)
            }
            command => {
                let store = connect(&self.database_url).await?;
                command.administer(store.as_ref(), &Clock::system()).await
            }
        }
    }
}

impl Command {
    /// Runs an administration command (anything but `serve`).
    async fn administer(self, store: &dyn Store, clock: &Clock) -> anyhow::Result<()> {
        match self {
            Command::Serve(_) => unreachable!("serve is not an administration command"),
            Command::Org {
                command:
                    OrgCommand::Create {
                        name,
                        owner_email,
                        links,
                    },
            } => {
                let public = links.public_url()?;
                if let Some(email) = &owner_email {
                    Email::parse(email)?;
                }
                let mut created = admin::create_organization(store, clock, &name).await?;
                if let Some(email) = owner_email {
                    let invitation = admin::invite_operator(
                        store,
                        clock,
                        &public,
                        created.organization_id,
                        &email,
                        OperatorRole::Admin,
                    )
                    .await?;
                    created.owner_invitation_url = Some(invitation.url);
                }
                print_json(&created)?;
            }
            Command::Org {
                command:
                    OrgCommand::IdentitySecret {
                        organization_id,
                        rotate,
                    },
            } => println!(
                "{}",
                admin::identity_secret(store, organization_id, rotate).await?
            ),
            Command::Operator {
                command:
                    OperatorCommand::Invite {
                        organization_id,
                        email,
                        role,
                        links,
                    },
            } => {
                let invitation = admin::invite_operator(
                    store,
                    clock,
                    &links.public_url()?,
                    organization_id,
                    &email,
                    role,
                )
                .await
                .with_context(|| format!("inviting {email} to {organization_id}"))?;
                eprintln!(
                    "invited {email} as {}; the link works once, until {} (ms since epoch):",
                    role.as_str(),
                    invitation.expires_at.millis()
                );
                println!("{}", invitation.url);
            }
            Command::Subscription {
                command:
                    SubscriptionCommand::Set {
                        organization_id: id,
                        status,
                    },
            } => {
                admin::set_subscription(store, id, status)
                    .await
                    .with_context(|| format!("setting the subscription of {id}"))?;
                eprintln!("subscription of {id} set to {}", status.as_str());
            }
            Command::WidgetSettings {
                command:
                    WidgetSettingsCommand::Set {
                        organization_id: id,
                        greet,
                        suggestions,
                        accent_color,
                        theme,
                    },
            } => {
                admin::set_widget_settings(store, id, &greet, &suggestions)
                    .await
                    .with_context(|| format!("setting the widget settings of {id}"))?;
                if accent_color.is_some() || theme.is_some() {
                    admin::set_brand(store, id, accent_color.as_deref(), theme).await?;
                }
                eprintln!("widget settings of {id} updated");
            }
            Command::Knowledge {
                command:
                    KnowledgeCommand::Add {
                        organization_id,
                        files,
                    },
            } => {
                // Each file's outcome is reported; one bad file does not stop
                // the import of the others.
                let mut failed = 0;
                for path in &files {
                    match admin::add_knowledge_file(store, clock, organization_id, path).await {
                        Ok(added) => print_json(&added)?,
                        Err(error) => {
                            failed += 1;
                            eprintln!("{}: not added: {error:#}", path.display());
                        }
                    }
                }
                anyhow::ensure!(failed == 0, "{failed} of {} files not added", files.len());
            }
            Command::Secrets {
                command: SecretsCommand::ReEncrypt { secrets },
            } => {
                let vault = secrets
                    .vault()?
                    .context("re-encrypting needs ECHO_SECRETS_KEY (and the old keys)")?;
                let (moved, current) = crate::plugins::re_encrypt(store, &vault).await?;
                eprintln!("{moved} plugins re-encrypted, {current} already under the current key");
            }
            Command::Events {
                command: EventsCommand::Prune { older_than_hours },
            } => {
                let cutoff = clock.now().millis() - (older_than_hours as i64) * 3_600_000;
                let deleted = store
                    .prune_events(Timestamp(cutoff))
                    .await
                    .context("pruning events")?;
                eprintln!("{deleted} events older than {older_than_hours} h deleted");
            }
            Command::Conversation {
                command:
                    ConversationCommand::AddMessage {
                        conversation_id: id,
                        role,
                        text,
                    },
            } => {
                let message = admin::add_message(store, clock, id, role.into(), &text)
                    .await
                    .with_context(|| format!("adding a message to {id}"))?;
                print_json(&message)?;
            }
            Command::Conversation {
                command:
                    ConversationCommand::SetStatus {
                        conversation_id: id,
                        status,
                    },
            } => {
                admin::set_conversation_status(store, clock, id, status)
                    .await
                    .with_context(|| format!("setting the status of {id}"))?;
                eprintln!("conversation {id} is now {}", status.as_str());
            }
        }
        Ok(())
    }
}
