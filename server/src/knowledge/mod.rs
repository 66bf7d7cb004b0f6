//! The knowledge base: each organization's files, searched with BM25
//! (tantivy) by operators and by the support agent.
//!
//! Files and their extracted text live in the store; the search index is a
//! per-organization in-memory cache built from them. The store's knowledge
//! version says whether a cached index is current, so a replica that did not
//! see a change itself rebuilds on its next search. Changes made through
//! this process are applied to the cached index directly. At most
//! `MAX_CACHED` organizations' indexes are kept; the least recently used goes
//! first (and is rebuilt if it is needed again).

pub mod extract;
pub mod index;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use echo_protocol::{FileId, OrganizationId};

use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::Timestamp;

use crate::store::{KnowledgeText, NewKnowledgeFile, Store, StoreResult};
use index::{OrgIndex, Passage};

/// Organizations whose index stays in memory at once.
const MAX_CACHED: usize = 256;

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

struct Cached {
    version: i64,
    index: Arc<OrgIndex>,
}

pub struct KnowledgeBase {
    store: Arc<dyn Store>,
    /// One lock per organization, held while its index is built or changed,
    /// and when it was last used.
    indexes: Mutex<HashMap<OrganizationId, (Slot, std::time::Instant)>>,
}

/// What changed in an organization's knowledge base.
pub enum Change {
    Added(KnowledgeText),
    Removed(FileId),
}

/// An uploaded file made ready to store: what to store, how it is listed,
/// and what the index needs.
pub struct Prepared {
    pub file: NewKnowledgeFile,
    pub listed: KnowledgeFile,
    pub text: KnowledgeText,
}

/// What to store for a file whose text was extracted (in the sandbox:
/// [`crate::sandbox::Sandbox::extract`]).
pub fn prepare(
    organization: OrganizationId,
    name: String,
    extracted: extract::Extracted,
    size_bytes: u64,
    now: Timestamp,
) -> Prepared {
    let file = NewKnowledgeFile {
        id: FileId::from_uuid(uuid::Uuid::new_v4()),
        organization_id: organization,
        name,
        content_type: extracted.content_type.to_owned(),
        size_bytes,
        text: extracted.text,
        created_at: now,
    };
    let listed = KnowledgeFile {
        file_id: file.id,
        name: file.name.clone(),
        content_type: file.content_type.clone(),
        size_bytes: file.size_bytes,
        text_chars: file.text.chars().count() as u64,
        created_at: now,
    };
    let text = KnowledgeText {
        id: file.id,
        name: file.name.clone(),
        text: file.text.clone(),
    };
    Prepared { file, listed, text }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> tantivy::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(work).await??)
}

impl KnowledgeBase {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            indexes: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, organization: OrganizationId) -> Slot {
        let mut indexes = self.indexes.lock().expect("knowledge lock poisoned");
        let now = std::time::Instant::now();
        let entry = indexes
            .entry(organization)
            .or_insert_with(|| (Slot::default(), now));
        entry.1 = now;
        let slot = entry.0.clone();
        if indexes.len() > MAX_CACHED {
            let oldest = indexes
                .iter()
                .filter(|(id, _)| **id != organization)
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                indexes.remove(&oldest);
            }
        }
        slot
    }

    /// Brings the cached index up to `version` after a change made here: the
    /// change is applied if the cache was one version behind, otherwise the
    /// cache is dropped and the next search rebuilds it.
    pub async fn changed(&self, organization: OrganizationId, version: i64, change: Change) {
        let slot = self.slot(organization);
        let mut cached = slot.lock().await;
        let Some(current) = cached.as_ref().filter(|c| c.version == version - 1) else {
            *cached = None;
            return;
        };
        let index = current.index.clone();
        let applied = blocking(move || match change {
            Change::Added(file) => index.add(&file),
            Change::Removed(id) => index.remove(id),
        })
        .await;
        match applied {
            Ok(()) => cached.as_mut().expect("checked above").version = version,
            Err(error) => {
                tracing::error!(error = %error, "knowledge index update failed; rebuilding later");
                *cached = None;
            }
        }
    }

    /// The organization's current index, rebuilt from the store if stale.
    async fn current(&self, organization: OrganizationId) -> StoreResult<Arc<OrgIndex>> {
        let version = self.store.knowledge_version(organization).await?;
        let slot = self.slot(organization);
        let mut cached = slot.lock().await;
        if let Some(current) = cached.as_ref().filter(|c| c.version == version) {
            return Ok(current.index.clone());
        }
        let (version, files) = self.store.knowledge_texts(organization).await?;
        let started = std::time::Instant::now();
        let count = files.len();
        let index = Arc::new(blocking(move || OrgIndex::build(&files)).await?);
        tracing::info!(
            organization_id = %organization,
            files = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "knowledge index built"
        );
        *cached = Some(Cached {
            version,
            index: index.clone(),
        });
        Ok(index)
    }

    /// The organization's passages that best match `query`, best first.
    /// Only this organization's index is ever consulted.
    pub async fn search(
        &self,
        organization: OrganizationId,
        query: &str,
        limit: usize,
    ) -> StoreResult<Vec<Passage>> {
        let index = self.current(organization).await?;
        let query = query.to_owned();
        Ok(blocking(move || index.search(&query, limit)).await?)
    }
}
