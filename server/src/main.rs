//! `echo-server`: parses the command line and calls the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::MessageRole;
use echo_protocol::{ConversationId, OrganizationId};
use echo_server::admin;
use echo_server::clock::Clock;
use echo_server::config::{Config, DEFAULT_BIND, DEFAULT_DATABASE_URL, DEFAULT_MAX_CONNECTIONS};
use echo_server::live::Hub;
use echo_server::llm::LlmConfig;
use echo_server::secrets::WebhookSecret;
use echo_server::session::SessionPolicy;
use echo_server::startup::Application;
use echo_server::store::{self, SubscriptionStatus};

#[derive(Parser)]
#[command(
    name = "echo-server",
    version,
    about = "Echo support-chat server and administration"
)]
struct Cli {
    /// Database to use: sqlite://PATH, or postgres://USER:PASSWORD@HOST/DB
    /// for PostgreSQL (needed for several replicas).
    #[arg(
        long,
        global = true,
        env = "ECHO_DATABASE_URL",
        hide_env_values = true,
        default_value = DEFAULT_DATABASE_URL
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and the widget, when built).
    Serve {
        #[arg(long, env = "ECHO_BIND", default_value = DEFAULT_BIND)]
        bind: SocketAddr,
        /// Live events are kept this long for clients that reconnect (0: forever).
        #[arg(long, env = "ECHO_EVENT_RETENTION_HOURS", default_value_t = 168)]
        event_retention_hours: u64,
        /// PostgreSQL connections per server process (ignored for SQLite).
        #[arg(long, env = "ECHO_DATABASE_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
        database_max_connections: u32,
        /// Directory of the built widget to serve at `/` (default: ./dist if present).
        #[arg(long, env = "ECHO_WIDGET_DIR")]
        widget_dir: Option<PathBuf>,
        /// How long a contact session lives.
        #[arg(long, env = "ECHO_SESSION_DURATION_SECS", default_value_t = 86_400)]
        session_duration_secs: i64,
        /// Activity with less than this left extends the session.
        #[arg(
            long,
            env = "ECHO_SESSION_REFRESH_THRESHOLD_SECS",
            default_value_t = 14_400
        )]
        session_refresh_threshold_secs: i64,
        /// Shared secret of the billing webhook (at least 16 characters);
        /// without it POST /v1/webhooks/billing is off.
        #[arg(long, env = "ECHO_BILLING_WEBHOOK_SECRET", hide_env_values = true)]
        billing_webhook_secret: Option<String>,
        /// Base URL of an OpenAI-compatible API (e.g. https://api.openai.com/v1,
        /// http://localhost:11434/v1 for Ollama); without it the AI features are off.
        #[arg(long, env = "ECHO_LLM_BASE_URL")]
        llm_base_url: Option<String>,
        /// API key for the model endpoint, if it needs one.
        #[arg(long, env = "ECHO_LLM_API_KEY", hide_env_values = true)]
        llm_api_key: Option<String>,
        /// Model name.
        #[arg(long, env = "ECHO_LLM_MODEL", default_value = "gpt-4o-mini")]
        llm_model: String,
        /// Seconds to wait for one model answer.
        #[arg(long, env = "ECHO_LLM_TIMEOUT_SECS", default_value_t = 30)]
        llm_timeout_secs: u64,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
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
}

#[derive(Subcommand)]
enum KnowledgeCommand {
    /// Import text, Markdown, HTML or PDF files (no subscription needed);
    /// prints each as JSON.
    Add {
        organization_id: String,
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

#[derive(Subcommand)]
enum ConversationCommand {
    /// Post a message as the assistant or an operator; prints it as JSON.
    /// (On PostgreSQL, open push streams get it at once; on SQLite, when they
    /// next resume. The operator API delivers live on both.)
    AddMessage {
        conversation_id: String,
        #[arg(long, value_parser = ["assistant", "operator"])]
        role: String,
        #[arg(long)]
        text: String,
    },
    /// Set the status: unresolved, escalated or resolved.
    SetStatus {
        conversation_id: String,
        #[arg(value_parser = ["unresolved", "escalated", "resolved"])]
        status: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization; prints {"organizationId","operatorKey"}.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum SubscriptionCommand {
    /// Set an organization's subscription status.
    Set {
        organization_id: String,
        #[arg(value_parser = ["active", "inactive"])]
        status: String,
    },
}

#[derive(Subcommand)]
enum WidgetSettingsCommand {
    /// Set the greeting and up to 3 suggestions.
    Set {
        organization_id: String,
        #[arg(long)]
        greet: String,
        #[arg(long = "suggestion")]
        suggestions: Vec<String>,
    },
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn conversation_id(text: &str) -> anyhow::Result<ConversationId> {
    ConversationId::parse(text).with_context(|| format!("not a conversation ID: {text}"))
}

fn organization_id(text: &str) -> anyhow::Result<OrganizationId> {
    OrganizationId::parse(text).with_context(|| format!("not an organization ID: {text}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            bind,
            event_retention_hours,
            database_max_connections,
            widget_dir,
            session_duration_secs,
            session_refresh_threshold_secs,
            billing_webhook_secret,
            llm_base_url,
            llm_api_key,
            llm_model,
            llm_timeout_secs,
        } => {
            anyhow::ensure!(
                session_duration_secs > 0 && session_refresh_threshold_secs >= 0,
                "session durations must be positive"
            );
            let billing_webhook_secret = match billing_webhook_secret {
                None => None,
                Some(secret) => Some(
                    WebhookSecret::new(secret)
                        .context("the billing webhook secret must be at least 16 characters")?,
                ),
            };
            let config = Config {
                bind,
                database_url: cli.database_url,
                database_max_connections,
                event_retention: (event_retention_hours > 0)
                    .then(|| std::time::Duration::from_secs(event_retention_hours * 3600)),
                session: SessionPolicy {
                    duration_secs: session_duration_secs,
                    refresh_threshold_secs: session_refresh_threshold_secs,
                },
                widget_dir: widget_dir.or_else(|| {
                    let dist = PathBuf::from("dist");
                    dist.join("index.html").exists().then_some(dist)
                }),
                clock: Clock::system(),
                billing_webhook_secret,
                llm: llm_base_url.map(|base_url| LlmConfig {
                    base_url,
                    api_key: llm_api_key,
                    model: llm_model,
                    timeout: std::time::Duration::from_secs(llm_timeout_secs),
                }),
            };
            let app = Application::build(config).await?;
            tracing::info!(
                port = app.port(),
                "listening on http://{}:{}",
                bind.ip(),
                app.port()
            );
            app.run_until_stopped().await?;
        }
        Command::Org {
            command: OrgCommand::Create { name },
        } => {
            let store = store::connect(&cli.database_url, Arc::new(Hub::default())).await?;
            let created =
                admin::create_organization(store.as_ref(), &Clock::system(), &name).await?;
            println!("{}", serde_json::to_string(&created)?);
        }
        Command::Subscription {
            command:
                SubscriptionCommand::Set {
                    organization_id: id,
                    status,
                },
        } => {
            let store = store::connect(&cli.database_url, Arc::new(Hub::default())).await?;
            let status =
                SubscriptionStatus::parse(&status).context("status is active or inactive")?;
            admin::set_subscription(store.as_ref(), organization_id(&id)?, status)
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
                },
        } => {
            let store = store::connect(&cli.database_url, Arc::new(Hub::default())).await?;
            admin::set_widget_settings(store.as_ref(), organization_id(&id)?, &greet, &suggestions)
                .await
                .with_context(|| format!("setting the widget settings of {id}"))?;
            eprintln!("widget settings of {id} updated");
        }
        Command::Knowledge {
            command:
                KnowledgeCommand::Add {
                    organization_id: id,
                    files,
                },
        } => {
            let store = store::connect(&cli.database_url, Arc::new(Hub::default())).await?;
            let organization = organization_id(&id)?;
            for path in files {
                let added = admin::add_knowledge_file(
                    store.as_ref(),
                    &Clock::system(),
                    organization,
                    &path,
                )
                .await
                .with_context(|| format!("adding {}", path.display()))?;
                println!("{}", serde_json::to_string(&added)?);
            }
        }
        Command::Events {
            command: EventsCommand::Prune { older_than_hours },
        } => {
            let store = store::connect(&cli.database_url, Arc::new(Hub::default())).await?;
            let cutoff = Clock::system().now().millis() - (older_than_hours as i64) * 3_600_000;
            let deleted = store
                .prune_events(echo_protocol::Timestamp(cutoff))
                .await
                .context("pruning events")?;
            eprintln!("{deleted} events older than {older_than_hours} h deleted");
        }
        Command::Conversation { command } => {
            let store = store::connect(&cli.database_url, Arc::new(Hub::default())).await?;
            match command {
                ConversationCommand::AddMessage {
                    conversation_id: id,
                    role,
                    text,
                } => {
                    let role = MessageRole::parse(&role).context("role")?;
                    let message = admin::add_message(
                        store.as_ref(),
                        &Clock::system(),
                        conversation_id(&id)?,
                        role,
                        &text,
                    )
                    .await
                    .with_context(|| format!("adding a message to {id}"))?;
                    println!("{}", serde_json::to_string(&message)?);
                }
                ConversationCommand::SetStatus {
                    conversation_id: id,
                    status,
                } => {
                    let status = ConversationStatus::parse(&status).context("status")?;
                    admin::set_conversation_status(
                        store.as_ref(),
                        &Clock::system(),
                        conversation_id(&id)?,
                        status,
                    )
                    .await
                    .with_context(|| format!("setting the status of {id}"))?;
                    eprintln!("conversation {id} is now {}", status.as_str());
                }
            }
        }
    }
    Ok(())
}
