//! Presence: while a console or widget holds a push stream open, its
//! subject's `last_seen` is written now and then (on every replica the
//! stream may be on, into the shared store).
//!
//! Nothing is written when the stream closes: the server learns of a
//! closed connection only when a write to it fails, which may be the write
//! of the very message the reader never got. The last periodic write is
//! the last moment the reader is known to have been there.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::Mailer;

/// Held by an open stream; dropping it stops the refreshes.
pub struct Presence {
    _closed: oneshot::Sender<()>,
}

impl Presence {
    pub fn start(mailer: &Arc<Mailer>, subject: String) -> Self {
        let (closed, mut on_close) = oneshot::channel::<()>();
        let mailer = mailer.clone();
        let every = mailer.presence_interval();
        tokio::spawn(async move {
            loop {
                let now = mailer.clock.now();
                if let Err(error) = mailer.store.set_presence(subject.clone(), now).await {
                    tracing::warn!(error = %error, "recording presence failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = &mut on_close => break,
                }
            }
        });
        Self { _closed: closed }
    }
}
