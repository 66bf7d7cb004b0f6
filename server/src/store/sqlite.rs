//! The SQLite backend: one file, WAL mode, `synchronous=FULL` (an answered
//! write survives power loss).
//!
//! All writes go through one writer thread that takes every job waiting in
//! its queue and runs them in a single transaction, each inside its own
//! savepoint (so one failing job does not undo its neighbours), then commits
//! once and answers all of them. Concurrent writers therefore share one fsync
//! instead of paying one each: group commit. Reads run on a small pool of
//! read-only connections, which WAL lets proceed alongside the writer.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use echo_protocol::conversations::{ConversationStatus, MessagePreview};
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::{OperatorConversation, VisitorDetails};
use echo_protocol::{ConversationId, FileId, MessageId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use tokio::sync::{mpsc, oneshot};

use super::{
    paginate, ActivityCursor, ContactSession, Conversation, ConversationSummary, Cursor,
    EventScope, KnowledgeText, NewContactSession, NewKnowledgeFile, NewOrganization,
    OperatorSummary, Organization, Page, Store, StoreError, StoreResult, SubscriptionStatus,
    VisitorActivity,
};
use crate::live::Hub;
use crate::secrets::SecretHash;
use crate::session::Refresh;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_events_operator.sql"),
    include_str!("../../migrations/sqlite/0003_billing.sql"),
    include_str!("../../migrations/sqlite/0004_knowledge.sql"),
    include_str!("../../migrations/sqlite/0005_event_retention.sql"),
];

/// An event written by a job, published to the hub once its commit succeeds.
type Published = (OrganizationId, LiveEvent);

/// Default upper bound on jobs per commit, so one commit's latency stays bounded.
pub const DEFAULT_MAX_BATCH: usize = 512;
const WRITE_QUEUE: usize = 4096;
const MAX_IDLE_READERS: usize = 8;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write: runs against the writer's connection inside a savepoint and
/// returns whether it succeeded plus what to do once the commit is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// `sqlite://echo.db`, `sqlite:///abs/echo.db` or `sqlite:echo.db` -> path.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<ReaderPool>,
    stats: Arc<WriteStats>,
    hub: Arc<Hub>,
}

/// Counters of the writer thread: how well group commit is working.
#[derive(Debug, Default)]
pub struct WriteStats {
    commits: AtomicU64,
    jobs: AtomicU64,
}

impl WriteStats {
    /// (commits, jobs) since the store was opened.
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
        )
    }
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn get(&self) -> rusqlite::Result<Connection> {
        if let Some(conn) = self.idle.lock().expect("reader pool poisoned").pop() {
            return Ok(conn);
        }
        let conn = Connection::open(&self.path)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")?;
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        let mut idle = self.idle.lock().expect("reader pool poisoned");
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
    }
}

impl SqliteStore {
    pub fn open(path: &Path, hub: Arc<Hub>) -> anyhow::Result<Self> {
        Self::open_with_max_batch(path, hub, DEFAULT_MAX_BATCH)
    }

    /// `max_batch = 1` turns group commit off (one commit per write), which
    /// the benchmark uses as its baseline.
    pub fn open_with_max_batch(
        path: &Path,
        hub: Arc<Hub>,
        max_batch: usize,
    ) -> anyhow::Result<Self> {
        let max_batch = max_batch.max(1);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut conn =
            Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        anyhow::ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "WAL mode unavailable: {mode}"
        );
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&mut conn)?;

        let (writer, queue) = mpsc::channel(WRITE_QUEUE);
        let stats = Arc::new(WriteStats::default());
        let writer_stats = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, queue, max_batch, &writer_stats))?;
        Ok(Self {
            writer,
            stats,
            hub,
            readers: Arc::new(ReaderPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn write_stats(&self) -> &WriteStats {
        &self.stats
    }

    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_publishing(move |conn| work(conn).map(|value| (value, Vec::new())))
            .await
    }

    /// A write whose events go to the hub after its commit succeeds. The
    /// writer thread runs completions in commit order, so subscribers see
    /// events in position order.
    async fn write_publishing<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, Vec<Published>)> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<StoreResult<T>>();
        let hub = self.hub.clone();
        let job: Job = Box::new(move |conn| {
            let result = work(conn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |commit| {
                let outcome = match (result, commit) {
                    (Ok((value, events)), Ok(())) => {
                        for (organization, event) in events {
                            hub.publish(organization, event);
                        }
                        Ok(value)
                    }
                    (Ok(_), Err(e)) => Err(StoreError::Other(anyhow!("commit failed: {e}"))),
                    (Err(e), _) => Err(e),
                };
                let _ = reply.send(outcome);
            });
            (ok, completion)
        });
        self.writer
            .send(job)
            .await
            .map_err(|_| anyhow!("the SQLite writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow!("the SQLite writer dropped a write"))?
    }

    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            let result = work(&conn);
            pool.put(conn);
            result
        })
        .await
        .map_err(|e| anyhow!("read task failed: {e}"))?
    }
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("SQLite migration {}", index + 1))?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn writer_loop(
    conn: Connection,
    mut queue: mpsc::Receiver<Job>,
    max_batch: usize,
    stats: &WriteStats,
) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the jobs drops their reply channels: each caller sees
            // the write fail rather than waiting forever.
            tracing::error!(error = %e, "SQLite BEGIN failed");
            continue;
        }
        let mut completions = Vec::with_capacity(batch.len());
        for job in batch {
            if conn.execute_batch("SAVEPOINT job").is_err() {
                continue;
            }
            match std::panic::catch_unwind(AssertUnwindSafe(|| job(&conn))) {
                Ok((true, completion)) => {
                    let _ = conn.execute_batch("RELEASE job");
                    completions.push(completion);
                }
                Ok((false, completion)) => {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    completions.push(completion);
                }
                Err(_) => {
                    tracing::error!("a SQLite write job panicked; its changes were rolled back");
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
            }
        }
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats
            .jobs
            .fetch_add(completions.len() as u64, Ordering::Relaxed);
        let commit = conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "SQLite COMMIT failed");
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        });
        for completion in completions {
            completion(commit.clone());
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, _) = &error {
            if failure.code == ErrorCode::ConstraintViolation {
                match failure.extended_code {
                    rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::NotFound,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        return StoreError::Conflict("already exists")
                    }
                    _ => {}
                }
            }
        }
        StoreError::Other(error.into())
    }
}

/// Reads a column that holds text the server itself wrote in a known form.
fn parsed<T>(
    row: &Row<'_>,
    index: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unexpected value {text:?}").into(),
        )
    })
}

fn conversation_from_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: parsed(row, 0, ConversationId::parse)?,
        organization_id: parsed(row, 1, OrganizationId::parse)?,
        status: parsed(row, 2, ConversationStatus::parse)?,
        created_at: Timestamp(row.get(3)?),
    })
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: parsed(row, 0, MessageId::parse)?,
        role: parsed(row, 1, MessageRole::parse)?,
        text: row.get(2)?,
        created_at: Timestamp(row.get(3)?),
    })
}

const CONVERSATION_COLUMNS: &str = "id, organization_id, status, created_at";
const MESSAGE_COLUMNS: &str = "id, role, text, created_at";

/// Checks the session is live and applies the refresh rule; returns the
/// session's expiry after the activity.
fn touch_session(conn: &Connection, activity: &VisitorActivity) -> StoreResult<Timestamp> {
    let expires_at: Option<i64> = conn
        .prepare_cached("SELECT expires_at FROM contact_sessions WHERE id_hash = ?1")?
        .query_row([activity.session.as_str()], |r| r.get(0))
        .optional()?;
    let expires_at = Timestamp(expires_at.ok_or(StoreError::SessionExpired)?);
    match activity.policy.refresh(expires_at, activity.now) {
        Err(_) => Err(StoreError::SessionExpired),
        Ok(Refresh::Unchanged) => Ok(expires_at),
        Ok(Refresh::ExtendTo(new_expiry)) => {
            conn.prepare_cached("UPDATE contact_sessions SET expires_at = ?1 WHERE id_hash = ?2")?
                .execute(params![new_expiry.millis(), activity.session.as_str()])?;
            Ok(new_expiry)
        }
    }
}

/// Appends to the event log; the event's position is its row's sequence.
fn record_event(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    change: Change,
    now: Timestamp,
) -> StoreResult<Published> {
    let payload = serde_json::to_string(&change).context("encoding an event")?;
    conn.prepare_cached(
        "INSERT INTO events (organization_id, conversation_id, payload, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        organization.to_string(),
        conversation.to_string(),
        payload,
        now.millis()
    ])?;
    let event = LiveEvent {
        position: conn.last_insert_rowid(),
        conversation_id: conversation,
        change,
    };
    Ok((organization, event))
}

fn insert_message(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    message: &Message,
    client_id: Option<&str>,
) -> StoreResult<Published> {
    conn.prepare_cached(
        "INSERT INTO messages (id, conversation_id, role, text, created_at, client_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        message.id.to_string(),
        conversation.to_string(),
        message.role.as_str(),
        message.text,
        message.created_at.millis(),
        client_id
    ])?;
    conn.prepare_cached("UPDATE conversations SET last_activity_at = ?1 WHERE id = ?2")?
        .execute(params![
            message.created_at.millis(),
            conversation.to_string()
        ])?;
    let change = Change::Message {
        message: message.clone(),
    };
    record_event(conn, organization, conversation, change, message.created_at)
}

/// The conversation's organization and status, if it exists (and, with
/// `organization`, belongs to it).
fn conversation_state(
    conn: &Connection,
    conversation: ConversationId,
    organization: Option<OrganizationId>,
) -> StoreResult<(OrganizationId, ConversationStatus)> {
    let (org, status) = conn
        .prepare_cached("SELECT organization_id, status FROM conversations WHERE id = ?1")?
        .query_row([conversation.to_string()], |row| {
            Ok((
                parsed(row, 0, OrganizationId::parse)?,
                parsed(row, 1, ConversationStatus::parse)?,
            ))
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if organization.is_some_and(|expected| expected != org) {
        return Err(StoreError::NotFound);
    }
    Ok((org, status))
}

fn change_status(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    status: ConversationStatus,
    now: Timestamp,
) -> StoreResult<Published> {
    conn.prepare_cached("UPDATE conversations SET status = ?1 WHERE id = ?2")?
        .execute(params![status.as_str(), conversation.to_string()])?;
    record_event(
        conn,
        organization,
        conversation,
        Change::Status { status },
        now,
    )
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    async fn create_organization(&self, org: NewOrganization) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO organizations (id, name, operator_key_hash, greet_message, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    org.id.to_string(),
                    org.name,
                    org.operator_key_hash.as_str(),
                    org.greet_message,
                    org.created_at.millis()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT name, greet_message, suggestions, subscription_status
                     FROM organizations WHERE id = ?1",
                )?
                .query_row([id.to_string()], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        parsed(row, 3, SubscriptionStatus::parse)?,
                    ))
                })
                .optional()?;
            row.map(|(name, greet_message, suggestions, subscription)| {
                Ok(Organization {
                    id,
                    name,
                    greet_message,
                    suggestions: serde_json::from_str(&suggestions)
                        .context("stored suggestions are not a JSON array")?,
                    subscription,
                })
            })
            .transpose()
        })
        .await
    }

    async fn set_subscription(
        &self,
        id: OrganizationId,
        status: SubscriptionStatus,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            let changed = conn.execute(
                "UPDATE organizations SET subscription_status = ?1 WHERE id = ?2",
                params![status.as_str(), id.to_string()],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn set_widget_settings(
        &self,
        id: OrganizationId,
        greet_message: String,
        suggestions: Vec<String>,
    ) -> StoreResult<()> {
        let suggestions = serde_json::to_string(&suggestions).context("encoding suggestions")?;
        self.write(move |conn| {
            let changed = conn.execute(
                "UPDATE organizations SET greet_message = ?1, suggestions = ?2 WHERE id = ?3",
                params![greet_message, suggestions, id.to_string()],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn create_contact_session(&self, session: NewContactSession) -> StoreResult<()> {
        let metadata = serde_json::to_string(&session.metadata).context("encoding metadata")?;
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO contact_sessions
                 (id_hash, organization_id, name, email, metadata, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                session.id_hash.as_str(),
                session.organization_id.to_string(),
                session.name,
                session.email,
                metadata,
                session.created_at.millis(),
                session.expires_at.millis()
            ])?;
            Ok(())
        })
        .await
    }

    async fn contact_session(&self, id_hash: &SecretHash) -> StoreResult<Option<ContactSession>> {
        let id_hash = id_hash.clone();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT organization_id, name, email, expires_at
                     FROM contact_sessions WHERE id_hash = ?1",
                )?
                .query_row([id_hash.as_str()], |row| {
                    Ok(ContactSession {
                        id_hash: id_hash.clone(),
                        organization_id: parsed(row, 0, OrganizationId::parse)?,
                        name: row.get(1)?,
                        email: row.get(2)?,
                        expires_at: Timestamp(row.get(3)?),
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)> {
        self.write_publishing(move |conn| {
            let expires_at = touch_session(conn, &activity)?;
            let (organization_id, greet_message): (String, String) = conn
                .prepare_cached(
                    "SELECT o.id, o.greet_message FROM contact_sessions s
                     JOIN organizations o ON o.id = s.organization_id WHERE s.id_hash = ?1",
                )?
                .query_row([activity.session.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let organization = OrganizationId::parse(&organization_id)
                .ok_or_else(|| anyhow!("stored organization ID is not a UUID"))?;
            let now = activity.now.millis();
            conn.prepare_cached(
                "INSERT INTO conversations
                 (id, organization_id, contact_session_hash, status, created_at, last_activity_at)
                 VALUES (?1, ?2, ?3, 'unresolved', ?4, ?4)",
            )?
            .execute(params![
                id.to_string(),
                organization_id,
                activity.session.as_str(),
                now
            ])?;
            let greeting = Message {
                id: greeting_id,
                role: MessageRole::Assistant,
                text: greet_message,
                created_at: activity.now,
            };
            let event = insert_message(conn, organization, id, &greeting, None)?;
            let conversation = Conversation {
                id,
                organization_id: organization,
                status: ConversationStatus::Unresolved,
                created_at: activity.now,
            };
            Ok(((conversation, expires_at), vec![event]))
        })
        .await
    }

    async fn conversation_of_session(
        &self,
        id: ConversationId,
        session: &SecretHash,
    ) -> StoreResult<Option<Conversation>> {
        let session = session.clone();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations
                     WHERE id = ?1 AND contact_session_hash = ?2"
                ))?
                .query_row(
                    params![id.to_string(), session.as_str()],
                    conversation_from_row,
                )
                .optional()?)
        })
        .await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?1"
                ))?
                .query_row([id.to_string()], conversation_from_row)
                .optional()?)
        })
        .await
    }

    async fn conversations_of_session(
        &self,
        session: &SecretHash,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>> {
        let session = session.clone();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT c.seq, c.id, c.organization_id, c.status, c.created_at,
                        m.role, m.text, m.created_at
                 FROM conversations c
                 LEFT JOIN messages m ON m.seq =
                     (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)
                 WHERE c.contact_session_hash = ?1 AND c.seq < ?2
                 ORDER BY c.seq DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![
                    session.as_str(),
                    before.map_or(i64::MAX, |c| c.0),
                    i64::from(limit) + 1
                ],
                |row| {
                    let seq: i64 = row.get(0)?;
                    let conversation = Conversation {
                        id: parsed(row, 1, ConversationId::parse)?,
                        organization_id: parsed(row, 2, OrganizationId::parse)?,
                        status: parsed(row, 3, ConversationStatus::parse)?,
                        created_at: Timestamp(row.get(4)?),
                    };
                    let last_message = match row.get::<_, Option<String>>(5)? {
                        None => None,
                        Some(_) => Some(MessagePreview {
                            role: parsed(row, 5, MessageRole::parse)?,
                            text: row.get(6)?,
                            created_at: Timestamp(row.get(7)?),
                        }),
                    };
                    Ok((
                        Cursor(seq),
                        ConversationSummary {
                            conversation,
                            last_message,
                        },
                    ))
                },
            )?;
            let rows = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(paginate(rows, limit))
        })
        .await
    }

    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<Message> {
        self.write_publishing(move |conn| {
            touch_session(conn, &activity)?;
            let (organization, status) = conn
                .prepare_cached(
                    "SELECT organization_id, status FROM conversations
                     WHERE id = ?1 AND contact_session_hash = ?2",
                )?
                .query_row(
                    params![conversation.to_string(), activity.session.as_str()],
                    |row| {
                        Ok((
                            parsed(row, 0, OrganizationId::parse)?,
                            parsed(row, 1, ConversationStatus::parse)?,
                        ))
                    },
                )
                .optional()?
                .ok_or(StoreError::NotFound)?;
            if let Some(key) = &idempotency_key {
                let earlier = conn
                    .prepare_cached(&format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages
                         WHERE conversation_id = ?1 AND client_id = ?2"
                    ))?
                    .query_row(params![conversation.to_string(), key], message_from_row)
                    .optional()?;
                if let Some(earlier) = earlier {
                    return Ok((earlier, Vec::new()));
                }
            }
            if status == ConversationStatus::Resolved {
                return Err(StoreError::Conflict("the conversation is resolved"));
            }
            let event = insert_message(
                conn,
                organization,
                conversation,
                &message,
                idempotency_key.as_deref(),
            )?;
            Ok((message, vec![event]))
        })
        .await
    }

    async fn add_message(
        &self,
        conversation: ConversationId,
        message: Message,
        organization: Option<OrganizationId>,
    ) -> StoreResult<Message> {
        self.write_publishing(move |conn| {
            let (organization, status) = conversation_state(conn, conversation, organization)?;
            if status == ConversationStatus::Resolved {
                return Err(StoreError::Conflict("the conversation is resolved"));
            }
            let mut events = vec![insert_message(
                conn,
                organization,
                conversation,
                &message,
                None,
            )?];
            if message.role == MessageRole::Operator && status == ConversationStatus::Unresolved {
                events.push(change_status(
                    conn,
                    organization,
                    conversation,
                    ConversationStatus::Escalated,
                    message.created_at,
                )?);
            }
            Ok((message, events))
        })
        .await
    }

    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()> {
        self.write_publishing(move |conn| {
            let (organization, status) = conversation_state(conn, conversation, None)?;
            if status != ConversationStatus::Unresolved {
                return Err(StoreError::Conflict(
                    "the conversation is no longer the agent's",
                ));
            }
            let mut events = vec![insert_message(
                conn,
                organization,
                conversation,
                &message,
                None,
            )?];
            if let Some(next) = then_status.filter(|next| *next != status) {
                events.push(change_status(
                    conn,
                    organization,
                    conversation,
                    next,
                    message.created_at,
                )?);
            }
            Ok(((), events))
        })
        .await
    }

    async fn set_conversation_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        organization: Option<OrganizationId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write_publishing(move |conn| {
            let (organization, current) = conversation_state(conn, conversation, organization)?;
            if current == status {
                return Ok(((), Vec::new()));
            }
            let event = change_status(conn, organization, conversation, status, now)?;
            Ok(((), vec![event]))
        })
        .await
    }

    async fn typing(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        active: bool,
    ) {
        self.hub.typing(organization, conversation, active);
    }

    async fn operator_organization(&self, key: &SecretHash) -> StoreResult<Option<OrganizationId>> {
        let key = key.clone();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT id FROM organizations WHERE operator_key_hash = ?1")?
                .query_row([key.as_str()], |row| parsed(row, 0, OrganizationId::parse))
                .optional()?)
        })
        .await
    }

    async fn operator_conversations(
        &self,
        organization: OrganizationId,
        status: Option<ConversationStatus>,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT c.seq, c.id, c.status, c.created_at, c.last_activity_at, s.name,
                        m.role, m.text, m.created_at
                 FROM conversations c
                 JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                 LEFT JOIN messages m ON m.seq =
                     (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)
                 WHERE c.organization_id = ?1 AND (?2 IS NULL OR c.status = ?2)
                   AND (c.last_activity_at, c.seq) < (?3, ?4)
                 ORDER BY c.last_activity_at DESC, c.seq DESC LIMIT ?5",
            )?;
            let cursor = before.unwrap_or(ActivityCursor {
                at: i64::MAX,
                seq: i64::MAX,
            });
            let rows = stmt
                .query_map(
                    params![
                        organization.to_string(),
                        status.map(ConversationStatus::as_str),
                        cursor.at,
                        cursor.seq,
                        i64::from(limit) + 1
                    ],
                    |row| {
                        let seq: i64 = row.get(0)?;
                        let last_activity_at: i64 = row.get(4)?;
                        let last_message = match row.get::<_, Option<String>>(6)? {
                            None => None,
                            Some(_) => Some(MessagePreview {
                                role: parsed(row, 6, MessageRole::parse)?,
                                text: row.get(7)?,
                                created_at: Timestamp(row.get(8)?),
                            }),
                        };
                        let summary = OperatorSummary {
                            conversation: Conversation {
                                id: parsed(row, 1, ConversationId::parse)?,
                                organization_id: organization,
                                status: parsed(row, 2, ConversationStatus::parse)?,
                                created_at: Timestamp(row.get(3)?),
                            },
                            last_activity_at: Timestamp(last_activity_at),
                            visitor_name: row.get(5)?,
                            last_message,
                        };
                        Ok((
                            ActivityCursor {
                                at: last_activity_at,
                                seq,
                            },
                            summary,
                        ))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(paginate(rows, limit))
        })
        .await
    }

    async fn operator_conversation(
        &self,
        organization: OrganizationId,
        id: ConversationId,
    ) -> StoreResult<Option<OperatorConversation>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT c.status, c.created_at, c.last_activity_at, s.name, s.email, s.metadata
                     FROM conversations c
                     JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                     WHERE c.id = ?1 AND c.organization_id = ?2",
                )?
                .query_row(params![id.to_string(), organization.to_string()], |row| {
                    Ok((
                        parsed(row, 0, ConversationStatus::parse)?,
                        Timestamp(row.get(1)?),
                        Timestamp(row.get(2)?),
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, String>(5)?,
                    ))
                })
                .optional()?;
            row.map(
                |(status, created_at, last_activity_at, name, email, metadata)| {
                    Ok(OperatorConversation {
                        conversation_id: id,
                        status,
                        created_at,
                        last_activity_at,
                        visitor: VisitorDetails {
                            name,
                            email,
                            metadata: serde_json::from_str(&metadata)
                                .context("stored metadata is not JSON")?,
                        },
                    })
                },
            )
            .transpose()
        })
        .await
    }

    async fn apply_billing_event(
        &self,
        event_id: String,
        organization: OrganizationId,
        status: SubscriptionStatus,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.write(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO billing_events (id, organization_id, status, received_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![
                    event_id,
                    organization.to_string(),
                    status.as_str(),
                    now.millis()
                ])?;
            if inserted == 0 {
                return Ok(false);
            }
            let changed = conn
                .prepare_cached("UPDATE organizations SET subscription_status = ?1 WHERE id = ?2")?
                .execute(params![status.as_str(), organization.to_string()])?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(true)
        })
        .await
    }

    async fn add_knowledge_file(&self, file: NewKnowledgeFile) -> StoreResult<i64> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO knowledge_files
                 (id, organization_id, name, content_type, size_bytes, text, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                file.id.to_string(),
                file.organization_id.to_string(),
                file.name,
                file.content_type,
                file.size_bytes as i64,
                file.text,
                file.created_at.millis()
            ])?;
            bump_knowledge_version(conn, file.organization_id)
        })
        .await
    }

    async fn knowledge_files(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<KnowledgeFile>> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, name, content_type, size_bytes, length(text), created_at
                 FROM knowledge_files WHERE organization_id = ?1
                 ORDER BY created_at DESC, rowid DESC",
            )?;
            let rows = statement.query_map([organization.to_string()], |row| {
                Ok(KnowledgeFile {
                    file_id: parsed(row, 0, FileId::parse)?,
                    name: row.get(1)?,
                    content_type: row.get(2)?,
                    size_bytes: row.get::<_, i64>(3)? as u64,
                    text_chars: row.get::<_, i64>(4)? as u64,
                    created_at: Timestamp(row.get(5)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn delete_knowledge_file(
        &self,
        organization: OrganizationId,
        id: FileId,
    ) -> StoreResult<i64> {
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached(
                    "DELETE FROM knowledge_files WHERE id = ?1 AND organization_id = ?2",
                )?
                .execute(params![id.to_string(), organization.to_string()])?;
            if deleted == 0 {
                return Err(StoreError::NotFound);
            }
            bump_knowledge_version(conn, organization)
        })
        .await
    }

    async fn knowledge_version(&self, organization: OrganizationId) -> StoreResult<i64> {
        self.read(move |conn| knowledge_version(conn, organization))
            .await
    }

    async fn knowledge_texts(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<(i64, Vec<KnowledgeText>)> {
        self.read(move |conn| {
            // One read transaction: the texts are exactly those of the version.
            conn.execute_batch("BEGIN")?;
            let result = (|| {
                let version = knowledge_version(conn, organization)?;
                let mut statement = conn.prepare_cached(
                    "SELECT id, name, text FROM knowledge_files WHERE organization_id = ?1",
                )?;
                let rows = statement.query_map([organization.to_string()], |row| {
                    Ok(KnowledgeText {
                        id: parsed(row, 0, FileId::parse)?,
                        name: row.get(1)?,
                        text: row.get(2)?,
                    })
                })?;
                Ok((version, rows.collect::<rusqlite::Result<Vec<_>>>()?))
            })();
            conn.execute_batch("COMMIT")?;
            result
        })
        .await
    }

    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE organizations SET events_pruned_through = pruned.through
                 FROM (SELECT organization_id, MAX(seq) AS through FROM events
                       WHERE created_at < ?1 GROUP BY organization_id) AS pruned
                 WHERE organizations.id = pruned.organization_id
                   AND pruned.through > organizations.events_pruned_through",
                [before.millis()],
            )?;
            let deleted = conn.execute(
                "DELETE FROM events WHERE created_at < ?1",
                [before.millis()],
            )?;
            Ok(deleted as u64)
        })
        .await
    }

    async fn pruned_through(&self, scope: EventScope) -> StoreResult<i64> {
        self.read(move |conn| {
            let (sql, key) = match scope {
                EventScope::Conversation(id) => (
                    "SELECT o.events_pruned_through FROM conversations c
                     JOIN organizations o ON o.id = c.organization_id WHERE c.id = ?1",
                    id.to_string(),
                ),
                EventScope::Organization(id) => (
                    "SELECT events_pruned_through FROM organizations WHERE id = ?1",
                    id.to_string(),
                ),
            };
            Ok(conn
                .prepare_cached(sql)?
                .query_row([key], |row| row.get(0))
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    async fn head_position(&self, scope: EventScope) -> StoreResult<i64> {
        self.read(move |conn| {
            let (sql, key) = match scope {
                EventScope::Conversation(id) => (
                    "SELECT MAX(
                         COALESCE((SELECT MAX(seq) FROM events WHERE conversation_id = ?1), 0),
                         COALESCE((SELECT o.events_pruned_through FROM conversations c
                                   JOIN organizations o ON o.id = c.organization_id
                                   WHERE c.id = ?1), 0))",
                    id.to_string(),
                ),
                EventScope::Organization(id) => (
                    "SELECT MAX(
                         COALESCE((SELECT MAX(seq) FROM events WHERE organization_id = ?1), 0),
                         COALESCE((SELECT events_pruned_through FROM organizations
                                   WHERE id = ?1), 0))",
                    id.to_string(),
                ),
            };
            Ok(conn
                .prepare_cached(sql)?
                .query_row([key], |row| row.get(0))?)
        })
        .await
    }

    async fn events_after(
        &self,
        scope: EventScope,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<LiveEvent>> {
        self.read(move |conn| {
            let (sql, key) = match scope {
                EventScope::Conversation(id) => (
                    "SELECT seq, conversation_id, payload FROM events
                     WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                    id.to_string(),
                ),
                EventScope::Organization(id) => (
                    "SELECT seq, conversation_id, payload FROM events
                     WHERE organization_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                    id.to_string(),
                ),
            };
            let rows = conn
                .prepare_cached(sql)?
                .query_map(params![key, after, i64::from(limit)], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        parsed(row, 1, ConversationId::parse)?,
                        row.get::<_, String>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(position, conversation_id, payload)| {
                    Ok(LiveEvent {
                        position,
                        conversation_id,
                        change: serde_json::from_str(&payload)
                            .context("stored event is not JSON")?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<Message>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT seq, {MESSAGE_COLUMNS} FROM messages
                 WHERE conversation_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(
                    params![
                        conversation.to_string(),
                        before.map_or(i64::MAX, |c| c.0),
                        i64::from(limit) + 1
                    ],
                    |row| {
                        let seq: i64 = row.get(0)?;
                        let message = Message {
                            id: parsed(row, 1, MessageId::parse)?,
                            role: parsed(row, 2, MessageRole::parse)?,
                            text: row.get(3)?,
                            created_at: Timestamp(row.get(4)?),
                        };
                        Ok((Cursor(seq), message))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let mut page = paginate(rows, limit);
            page.items.reverse();
            Ok(page)
        })
        .await
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: MessageId,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE conversation_id = ?1 AND seq >
                     (SELECT seq FROM messages WHERE id = ?2 AND conversation_id = ?1)
                 ORDER BY seq ASC LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(
                    params![
                        conversation.to_string(),
                        after.to_string(),
                        i64::from(limit)
                    ],
                    message_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

fn knowledge_version(conn: &Connection, organization: OrganizationId) -> StoreResult<i64> {
    conn.prepare_cached("SELECT knowledge_version FROM organizations WHERE id = ?1")?
        .query_row([organization.to_string()], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

fn bump_knowledge_version(conn: &Connection, organization: OrganizationId) -> StoreResult<i64> {
    conn.prepare_cached(
        "UPDATE organizations SET knowledge_version = knowledge_version + 1
         WHERE id = ?1 RETURNING knowledge_version",
    )?
    .query_row([organization.to_string()], |row| row.get(0))
    .optional()?
    .ok_or(StoreError::NotFound)
}
