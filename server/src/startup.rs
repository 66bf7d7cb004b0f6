//! Building and running the server.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::http::{self, ApiContext};
use crate::live::Hub;
use crate::store::{self, Store};

pub struct Application {
    listener: TcpListener,
    context: ApiContext,
    stopping: watch::Sender<bool>,
    widget_dir: Option<PathBuf>,
    port: u16,
}

impl Application {
    /// Opens the database (running migrations) and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let hub = Arc::new(Hub::default());
        let store = store::connect(&config.database_url, hub.clone()).await?;
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
        let port = listener.local_addr()?.port();
        let (stopping, shutdown) = watch::channel(false);
        let context = ApiContext {
            store,
            clock: config.clock,
            policy: config.session,
            hub,
            shutdown,
        };
        Ok(Self {
            listener,
            context,
            stopping,
            widget_dir: config.widget_dir,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn context(&self) -> &ApiContext {
        &self.context
    }

    /// Serves until `shutdown` resolves, then stops accepting, ends the push
    /// streams and waits for in-flight requests to finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = http::router(self.context, self.widget_dir);
        let stopping = self.stopping;
        let signal = async move {
            shutdown.await;
            let _ = stopping.send(true);
        };
        axum::serve(self.listener, router)
            .with_graceful_shutdown(signal)
            .await
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
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
