//! `GET /metrics` in the Prometheus text format (the `prometheus-client`
//! crate), served on its own listener (`--metrics-bind`, off by default)
//! so it is never public by accident. Each server has its own registry:
//! tests run many servers in one process.
//!
//! What it counts: requests by route template and status, their latency,
//! open push streams by kind, overload and rate-limit refusals, mail and
//! model calls with failures; read at each scrape: the store's pressure
//! (the SQLite writer's queue and commits, the PostgreSQL pool and its
//! wait) and the mail outbox's depth and oldest age.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::store::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// Calls to something outside (the mail server, the model) by outcome.
pub type Outcomes = Family<OutcomeLabels, Counter>;

/// Counts one call's outcome.
pub fn count_outcome(outcomes: &Outcomes, ok: bool) {
    let outcome = if ok { "ok" } else { "failed" };
    outcomes.get_or_create(&OutcomeLabels { outcome }).inc();
}

/// Refusals by which limit refused.
pub type Refusals = Family<KindLabels, Counter>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// Open push streams by kind (`visitor`, `operator`).
    pub streams: Family<KindLabels, Gauge>,
    /// Writes refused by the overload guard.
    pub overloaded: Counter,
    outbox_depth: Gauge,
    outbox_oldest_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The store's pressure, read at each scrape.
struct StoreCollector(Arc<dyn Store>);

impl std::fmt::Debug for StoreCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreCollector")
    }
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> std::fmt::Result {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> std::fmt::Result {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let pressure = self.0.pressure();
        if let Some(queued) = pressure.queued_writes {
            let help = "SQLite writes queued for the writer or in its batch";
            gauge(&mut encoder, "echo_sqlite_write_queue", help, queued as i64)?;
        }
        if let Some(commits) = pressure.commits {
            let help = "SQLite commits (a group commit carries several writes)";
            counter(&mut encoder, "echo_sqlite_commits", help, commits)?;
        }
        if let Some(writes) = pressure.writes {
            let help = "SQLite writes committed (writes / commits: the batch size)";
            counter(&mut encoder, "echo_sqlite_writes", help, writes)?;
        }
        if let Some(statements) = pressure.message_statements {
            let help = "PostgreSQL statements that wrote visitors' messages together";
            counter(
                &mut encoder,
                "echo_postgres_message_statements",
                help,
                statements,
            )?;
        }
        if let Some(messages) = pressure.batched_messages {
            let help = "Visitors' messages those statements carried (messages / statements: the batch size)";
            counter(
                &mut encoder,
                "echo_postgres_batched_messages",
                help,
                messages,
            )?;
        }
        if let (Some(size), Some(idle)) = (pressure.pool_size, pressure.pool_idle) {
            let in_use = i64::from(size) - i64::from(idle);
            gauge(
                &mut encoder,
                "echo_db_pool_in_use",
                "PostgreSQL connections in use",
                in_use,
            )?;
            gauge(
                &mut encoder,
                "echo_db_pool_idle",
                "PostgreSQL connections idle",
                i64::from(idle),
            )?;
            let wait = pressure.pool_wait.unwrap_or_default().as_micros() as i64;
            let help = "How long the latest transaction (within a second) waited for a connection";
            gauge(&mut encoder, "echo_db_pool_wait_microseconds", help, wait)?;
        }
        Ok(())
    }
}

impl Metrics {
    /// A registry with the server's metrics, the store's pressure, and the
    /// model's and mail's outcomes and the limits' refusals when given.
    pub fn new(
        store: Arc<dyn Store>,
        model_calls: Option<Outcomes>,
        mail_sent: Option<Outcomes>,
        rate_limited: Refusals,
    ) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "echo_http_requests",
            "HTTP requests by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        registry.register(
            "echo_http_request_duration_seconds",
            "Time to the response's head, by route template and method",
            latency.clone(),
        );
        let streams = Family::<KindLabels, Gauge>::default();
        registry.register(
            "echo_open_streams",
            "Open push streams by kind",
            streams.clone(),
        );
        let overloaded = Counter::default();
        registry.register(
            "echo_overload_refusals",
            "Writes refused with 503 OVERLOADED",
            overloaded.clone(),
        );
        registry.register(
            "echo_rate_limit_refusals",
            "Requests refused by an abuse limit, by limit",
            rate_limited,
        );
        if let Some(calls) = model_calls {
            registry.register("echo_model_calls", "Language model calls by outcome", calls);
        }
        if let Some(sent) = mail_sent {
            registry.register(
                "echo_mail_deliveries",
                "Mail delivery attempts by outcome",
                sent,
            );
        }
        let outbox_depth = Gauge::default();
        registry.register(
            "echo_outbox_depth",
            "Mail waiting to be sent",
            outbox_depth.clone(),
        );
        let outbox_oldest_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "echo_outbox_oldest_age_seconds",
            "Age of the oldest mail waiting to be sent",
            outbox_oldest_seconds.clone(),
        );
        registry.register_collector(Box::new(StoreCollector(store)));
        Self {
            registry,
            requests,
            latency,
            streams,
            overloaded,
            outbox_depth,
            outbox_oldest_seconds,
        }
    }

    /// Counts one request and its time.
    pub fn observe(&self, route: &str, method: &str, status: u16, took: Duration) {
        let (route, method) = (route.to_owned(), method.to_owned());
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
                method: method.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
    }

    /// The text of a scrape (the outbox read first).
    pub async fn render(&self, store: &dyn Store, now: echo_protocol::Timestamp) -> String {
        match store.outbox_backlog().await {
            Ok((depth, oldest)) => {
                self.outbox_depth.set(depth as i64);
                let age = oldest.map_or(0.0, |at| {
                    (now.millis() - at.millis()).max(0) as f64 / 1000.0
                });
                self.outbox_oldest_seconds.set(age);
            }
            Err(error) => tracing::warn!(%error, "metrics: reading the outbox failed"),
        }
        let mut text = String::new();
        if prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry).is_err()
        {
            tracing::error!("metrics: encoding failed");
        }
        text
    }
}

/// Counts an open stream of `kind` until dropped.
pub struct StreamGuard(Gauge);

impl StreamGuard {
    pub fn open(metrics: &Metrics, kind: &'static str) -> Self {
        let gauge = metrics.streams.get_or_create(&KindLabels { kind }).clone();
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
