//! Ending the open streams of a credential the moment it ends: a deleted
//! API key, a signed-out session, an operator removed from a team or whose
//! password changed, a visitor's session ended by the host page.
//!
//! Each open stream registers the credentials it depends on and waits on
//! its own [`Notify`]; a revocation wakes only the streams registered
//! under it (never every stream, which matters with many thousands of open
//! widgets). Revocations reach every replica through the store
//! ([`crate::store::EventStore::revoke`]: PostgreSQL's `NOTIFY`, or this
//! process alone on SQLite).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use echo_protocol::{ApiKeyId, OperatorId, OrganizationId};
use tokio::sync::Notify;

/// A credential that no longer holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revoked {
    /// A visitor's contact session, by its hash.
    ContactSession(String),
    /// One signed-in session of an operator, by its hash.
    OperatorSession(String),
    /// Every session of the operator (the password changed).
    Operator(OperatorId),
    /// The operator's membership of the organization.
    Member(OrganizationId, OperatorId),
    ApiKey(ApiKeyId),
}

impl Revoked {
    /// The form that crosses replicas (`NOTIFY` payloads).
    pub fn encode(&self) -> String {
        match self {
            Revoked::ContactSession(hash) => format!("contact:{hash}"),
            Revoked::OperatorSession(hash) => format!("session:{hash}"),
            Revoked::Operator(id) => format!("operator:{id}"),
            Revoked::Member(org, id) => format!("member:{org}:{id}"),
            Revoked::ApiKey(id) => format!("key:{id}"),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (kind, rest) = text.split_once(':')?;
        Some(match kind {
            "contact" => Revoked::ContactSession(rest.to_owned()),
            "session" => Revoked::OperatorSession(rest.to_owned()),
            "operator" => Revoked::Operator(rest.parse().ok()?),
            "member" => {
                let (org, id) = rest.split_once(':')?;
                Revoked::Member(org.parse().ok()?, id.parse().ok()?)
            }
            "key" => Revoked::ApiKey(rest.parse().ok()?),
            _ => return None,
        })
    }
}

type Watchers = HashMap<Revoked, Vec<(u64, Arc<Notify>)>>;

#[derive(Default)]
pub struct Revocations {
    watchers: Arc<Mutex<Watchers>>,
    next: AtomicU64,
}

/// A stream's registration; removed when dropped.
pub struct Watch {
    id: u64,
    keys: Vec<Revoked>,
    notify: Arc<Notify>,
    watchers: Arc<Mutex<Watchers>>,
}

impl Watch {
    /// Resolves once any of the watched credentials is revoked.
    pub async fn revoked(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut watchers = self.watchers.lock().expect("revocations poisoned");
        for key in &self.keys {
            if let Some(list) = watchers.get_mut(key) {
                list.retain(|(id, _)| *id != self.id);
                if list.is_empty() {
                    watchers.remove(key);
                }
            }
        }
    }
}

impl Revocations {
    /// Registers a stream that ends when any of `keys` is revoked.
    pub fn watch(&self, keys: Vec<Revoked>) -> Watch {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let notify = Arc::new(Notify::new());
        let mut watchers = self.watchers.lock().expect("revocations poisoned");
        for key in &keys {
            watchers
                .entry(key.clone())
                .or_default()
                .push((id, notify.clone()));
        }
        Watch {
            id,
            keys,
            notify,
            watchers: self.watchers.clone(),
        }
    }

    /// Wakes the streams watching `key` (a stream not waiting yet keeps
    /// the wake-up for when it does).
    pub fn revoke(&self, key: &Revoked) {
        let watchers = self.watchers.lock().expect("revocations poisoned");
        for (_, notify) in watchers.get(key).into_iter().flatten() {
            notify.notify_one();
        }
    }

    /// Streams currently registered (tests and metrics).
    pub fn watching(&self) -> usize {
        self.watchers
            .lock()
            .expect("revocations poisoned")
            .values()
            .map(Vec::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> Revoked {
        Revoked::Member(
            OrganizationId::from_uuid(uuid::Uuid::new_v4()),
            OperatorId::from_uuid(uuid::Uuid::new_v4()),
        )
    }

    #[tokio::test]
    async fn only_the_streams_of_a_revoked_credential_wake() {
        let revocations = Revocations::default();
        let mine = revocations.watch(vec![Revoked::ContactSession("a".into())]);
        let other = revocations.watch(vec![Revoked::ContactSession("b".into())]);
        revocations.revoke(&Revoked::ContactSession("a".into()));
        tokio::time::timeout(std::time::Duration::from_secs(1), mine.revoked())
            .await
            .expect("woken");
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), other.revoked()).await;
        assert!(waited.is_err(), "another credential's stream stays open");
        drop((mine, other));
        assert_eq!(revocations.watching(), 0);
    }

    #[test]
    fn every_kind_crosses_replicas_intact() {
        for key in [
            Revoked::ContactSession("ab12".into()),
            Revoked::OperatorSession("cd34".into()),
            Revoked::Operator(OperatorId::from_uuid(uuid::Uuid::new_v4())),
            member(),
            Revoked::ApiKey(ApiKeyId::from_uuid(uuid::Uuid::new_v4())),
        ] {
            assert_eq!(Revoked::decode(&key.encode()), Some(key));
        }
        assert_eq!(Revoked::decode("member:nonsense"), None);
        assert_eq!(Revoked::decode("what:ever"), None);
    }
}
