//! Building and running the server.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::http::{self, ApiContext, Services};
use crate::live::Hub;
use crate::store::{self, Store};

/// A client must send its request headers within this, so idle sockets that
/// never send a request (or send it slowly) cannot pile up.
const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct Application {
    listener: TcpListener,
    /// `GET /metrics`, when `--metrics-bind` is set.
    metrics_listener: Option<TcpListener>,
    context: ApiContext,
    stopping: watch::Sender<bool>,
    widget_dir: Option<PathBuf>,
    event_retention: Option<Duration>,
    port: u16,
}

/// How often the event log is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How long the listener rests after an accept error that is not one
/// connection's (as axum's own `serve` does): streams that close free
/// descriptors meanwhile.
const ACCEPT_PAUSE: Duration = Duration::from_millis(200);

impl Application {
    /// Opens the database (running migrations) and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let hub = Arc::new(Hub::default());
        let store = store::connect(
            &config.database_url,
            config.database_max_connections,
            hub.clone(),
            crate::rules::rules(),
        )
        .await?;
        Self::build_with_store(config, store, hub).await
    }

    /// With a store opened by the caller, which publishes into `hub`.
    pub async fn build_with_store(
        config: Config,
        store: Arc<dyn Store>,
        hub: Arc<Hub>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let local = listener.local_addr()?;
        let port = local.port();
        let metrics_listener = match config.metrics_bind {
            Some(bind) => {
                let metrics = TcpListener::bind(bind)
                    .await
                    .with_context(|| format!("binding the metrics listener {bind}"))?;
                tracing::info!(address = %metrics.local_addr()?, "metrics on http://{}/metrics", metrics.local_addr()?);
                Some(metrics)
            }
            None => None,
        };
        let public = config
            .public_url
            .clone()
            .unwrap_or_else(|| crate::accounts::PublicUrl::from_bind(local));
        let (stopping, shutdown) = watch::channel(false);
        let llm = match config.llm {
            Some(llm) => Some(Arc::new(crate::llm::Llm::new(llm)?)),
            None => None,
        };
        let knowledge = Arc::new(crate::knowledge::KnowledgeBase::new(store.clone()));
        let limits = Arc::new(crate::limits::Limits::new(config.limits.clone()));
        let agent = llm.clone().map(|llm| {
            Arc::new(crate::agent::Agent::new(
                store.clone(),
                llm,
                knowledge.clone(),
                config.clock.clone(),
                limits.clone(),
            ))
        });
        let mailer = match config.mail {
            Some(mail) => Some(crate::mail::Mailer::new(
                store.clone(),
                config.clock.clone(),
                mail,
                public.clone(),
            )?),
            None => {
                tracing::info!("mail is off (no ECHO_SMTP_URL): no notifications or transcripts");
                None
            }
        };
        let links_key = store
            .server_key("attachment_links", crate::secrets::new_identity_secret())
            .await?;
        let links = Arc::new(crate::attachments::links::Links::new(
            links_key,
            public.clone(),
        ));
        let sandbox = Arc::new(crate::sandbox::Sandbox::new(
            config.sandbox,
            shutdown.clone(),
        ));
        let metrics = Arc::new(crate::metrics::Metrics::new(
            store.clone(),
            llm.as_ref().map(|llm| llm.calls.clone()),
            mailer.as_ref().map(|mailer| mailer.deliveries.clone()),
            limits.refused.clone(),
        ));
        // An empty server can be claimed only with this token, which only
        // whoever reads the log has. Kept in the database, so every replica
        // logs the same one.
        let setup = if store.has_operators().await? {
            None
        } else {
            let token = store
                .server_key(
                    "setup_token",
                    crate::secrets::SetupToken::generate()
                        .expose_secret()
                        .to_owned(),
                )
                .await?;
            let token = crate::secrets::SetupToken::parse(&token)
                .context("the stored setup token is malformed")?;
            tracing::warn!(
                "no account yet: create the first admin at {}",
                public.setup_link(&token)
            );
            Some(token)
        };
        let onboarding = Arc::new(crate::onboarding::Onboarding::new(
            config.onboarding,
            setup.as_ref(),
        ));
        let away = Arc::new(crate::away::AwayReplies::new(
            store.clone(),
            config.clock.clone(),
            limits.clone(),
            agent.is_some(),
        ));
        let context = ApiContext::new(Services {
            sandbox,
            store,
            clock: config.clock,
            policy: config.session,
            hub,
            shutdown,
            billing_webhook_secret: config.billing_webhook_secret,
            llm,
            knowledge,
            agent,
            public,
            lockout: Arc::new(crate::lockout::SignInLockout::default()),
            limits,
            trusted_proxies: Arc::new(config.trusted_proxies),
            mailer,
            links,
            max_attachment_bytes: config.max_attachment_bytes,
            max_unsent_bytes: config.max_unsent_bytes,
            stream_lifetime: config.stream_lifetime,
            typing: Arc::default(),
            metrics,
            overload: config.overload,
            onboarding,
            away,
            vault: config.plugins.vault,
            vapi: crate::plugins::vapi::Vapi::new(&config.plugins.vapi_base_url)?,
            voice_calls: config.plugins.voice,
        });
        Ok(Self {
            listener,
            metrics_listener,
            context,
            stopping,
            widget_dir: config.widget_dir,
            event_retention: config.event_retention,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    pub fn context(&self) -> &ApiContext {
        &self.context
    }

    /// Serves until `shutdown` resolves, then stops accepting, ends the push
    /// streams and waits for in-flight requests to finish.
    ///
    /// HTTP/1.1 only, with hyper's connection builder rather than
    /// `axum::serve`: its HTTP/1+2 auto-detection cost about 35 KiB more per
    /// open connection (52 vs 17 KiB per held push stream in `echo-bench
    /// live`), which matters when every open widget holds one. HTTP/2 is the
    /// reverse proxy's job.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Some(mailer) = self.context.mailer.clone() {
            let context = self.context.clone();
            tokio::spawn(mailer.run(async move { context.shutting_down().await }));
        }
        tokio::spawn(sweep_periodically(self.context.clone()));
        tokio::spawn(end_overdue_calls(self.context.clone()));
        tokio::spawn(retain_periodically(self.context.clone()));
        if let Some(retention) = self.event_retention {
            tokio::spawn(prune_periodically(self.context.clone(), retention));
        }
        if let Some(listener) = self.metrics_listener {
            let metrics = http::metrics_router(self.context.clone());
            let context = self.context.clone();
            tokio::spawn(async move {
                let stopped = async move { context.shutting_down().await };
                if let Err(error) = axum::serve(listener, metrics)
                    .with_graceful_shutdown(stopped)
                    .await
                {
                    tracing::warn!(%error, "the metrics listener stopped");
                }
            });
        }
        let router = http::router(self.context, self.widget_dir);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors, the listener fails at
                        // once again: retrying at once spun a core and
                        // flooded the log until a stream closed.
                        if let Some(pause) = accept_backoff(&error) {
                            tracing::warn!(%error, "accept failed; pausing new connections");
                            tokio::select! {
                                _ = tokio::time::sleep(pause) => {}
                                _ = &mut shutdown => break,
                            }
                        }
                        continue;
                    }
                },
                _ = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            // The peer address, for per-client limits (`ClientAddress`).
            let service =
                hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
                    router.clone(),
                    move |mut request: axum::http::Request<hyper::body::Incoming>| {
                        request
                            .extensions_mut()
                            .insert(axum::extract::ConnectInfo(peer));
                        request
                    },
                ));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
        let _ = self.stopping.send(true);
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// How long to stop accepting after `error`: `None` for a connection that
/// failed on its own (the next one is unaffected), a pause for anything
/// else, such as the process or the system out of file descriptors.
fn accept_backoff(error: &std::io::Error) -> Option<Duration> {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    match error.kind() {
        ConnectionAborted | ConnectionRefused | ConnectionReset => None,
        _ => Some(ACCEPT_PAUSE),
    }
}

/// Deletes events older than `retention` now and every `PRUNE_EVERY`,
/// until shutdown. Replicas may all do it: deleting is idempotent.
async fn prune_periodically(ctx: ApiContext, retention: Duration) {
    loop {
        let cutoff = ctx.clock.now().millis() - retention.as_millis() as i64;
        match ctx
            .store
            .prune_events(echo_protocol::Timestamp(cutoff))
            .await
        {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "old live events pruned"),
            Err(error) => tracing::warn!(error = %error, "pruning live events failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = ctx.shutting_down() => return,
        }
    }
}

/// Deletes attachments nobody sent, mail whose address never confirmed
/// and audit log entries past 400 days, now and every `PRUNE_EVERY`.
async fn sweep_periodically(ctx: ApiContext) {
    loop {
        match crate::attachments::sweep(ctx.store.as_ref(), &ctx.clock).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "unsent attachments swept"),
            Err(error) => tracing::warn!(error = %error, "sweeping attachments failed"),
        }
        let before = crate::mail::earlier(ctx.clock.now(), crate::mail::CONFIRMATION_VALID);
        match ctx.store.drop_held_mail(before).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "mail never confirmed dropped"),
            Err(error) => tracing::warn!(error = %error, "dropping unconfirmed mail failed"),
        }
        let audit_cutoff = ctx.clock.now().millis() - crate::http::AUDIT_KEEP_DAYS * 86_400_000;
        match ctx
            .store
            .prune_audit(echo_protocol::Timestamp(audit_cutoff))
            .await
        {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "audit log entries past 400 days pruned"),
            Err(error) => tracing::warn!(error = %error, "pruning the audit log failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = ctx.shutting_down() => return,
        }
    }
}

/// Ends voice calls past their maximum duration, every few seconds (a
/// cheap indexed read when there are none).
async fn end_overdue_calls(ctx: ApiContext) {
    const EVERY: Duration = Duration::from_secs(2);
    loop {
        match ctx.store.overdue_voice_calls(ctx.clock.now()).await {
            Ok(calls) => {
                for call in calls {
                    tracing::info!(call = %call.id, "voice call past its maximum duration ended");
                    if let Err(error) = crate::http::end_voice_call(&ctx, &call).await {
                        tracing::warn!(?error, "ending an overdue voice call failed");
                    }
                }
            }
            Err(error) => tracing::warn!(error = %error, "reading overdue voice calls failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = ctx.shutting_down() => return,
        }
    }
}

/// Applies organizations' retention now and every `retention::EVERY`.
async fn retain_periodically(ctx: ApiContext) {
    loop {
        match crate::retention::run_once(ctx.store.as_ref(), &ctx.clock).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "conversations past retention deleted"),
            Err(error) => tracing::warn!(error = %error, "applying retention failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(crate::retention::EVERY) => {}
            _ = ctx.shutting_down() => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_descriptors_pauses_accepting_and_a_dropped_connection_does_not() {
        let emfile = std::io::Error::from_raw_os_error(libc::EMFILE);
        let enfile = std::io::Error::from_raw_os_error(libc::ENFILE);
        assert_eq!(accept_backoff(&emfile), Some(ACCEPT_PAUSE));
        assert_eq!(accept_backoff(&enfile), Some(ACCEPT_PAUSE));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let aborted = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
        assert_eq!(accept_backoff(&reset), None);
        assert_eq!(accept_backoff(&aborted), None);
    }
}
