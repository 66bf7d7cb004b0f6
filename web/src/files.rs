//! Files in a conversation, for the widget and the console alike: uploads
//! waiting to be sent (with progress, cancel and errors in words), and the
//! attachments of messages (image thumbnails that open full size, other
//! files as a named chip with their size).

use crate::i18n::{t, tf, Msg};
use echo_protocol::attachments::Attachment;
use echo_protocol::{AttachmentId, ErrorCode};

use crate::http::ApiError;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use web_sys::XmlHttpRequest;

/// At most this many files per message (the server's limit).
const MAX_FILES: usize = 5;

#[derive(Clone)]
pub enum State {
    /// Percent sent.
    Uploading(u32),
    Ready(AttachmentId),
    Failed(String),
}

#[derive(Clone)]
pub struct Pending {
    key: u32,
    name: String,
    pub state: State,
    request: Option<SendWrapper<XmlHttpRequest>>,
}

/// An upload's failure in the visitor's words (never the server's
/// English, which is written for developers).
fn failure(error: &ApiError) -> String {
    t(match error.code() {
        Some(ErrorCode::PayloadTooLarge) => Msg::TooLarge,
        Some(ErrorCode::UnsupportedMediaType) => Msg::TypeNotAllowed,
        Some(ErrorCode::RateLimited) => Msg::TooManyFiles,
        Some(ErrorCode::UnprocessableFile) => Msg::CannotProcess,
        _ => Msg::UploadFailed,
    })
    .into()
}

pub fn size_label(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{} KB", b / 1024),
        // Integer tenths: formatting a float would ship its code (KBs).
        b => {
            let tenths = b * 10 / (1024 * 1024);
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// The chat's uploads not yet sent.
#[derive(Clone, Copy)]
pub struct Files {
    pub pending: RwSignal<Vec<Pending>>,
}

impl Default for Files {
    fn default() -> Self {
        Self::new()
    }
}

impl Files {
    pub fn new() -> Self {
        Self {
            pending: RwSignal::new(Vec::new()),
        }
    }

    fn set(&self, key: u32, state: State) {
        self.pending.try_update(|list| {
            if let Some(item) = list.iter_mut().find(|p| p.key == key) {
                item.state = state;
            }
        });
    }

    /// Starts uploading each file to `url` (up to the per-message limit).
    pub fn add(&self, files: web_sys::FileList, url: &str, bearer: Option<&str>) {
        for index in 0..files.length() {
            let Some(file) = files.item(index) else {
                continue;
            };
            if self.pending.with_untracked(Vec::len) >= MAX_FILES {
                return;
            }
            let key = (js_sys::Math::random() * 4e9) as u32;
            let this = *self;
            let request = crate::upload::upload(
                url,
                bearer,
                &file,
                move |sent| this.set(key, State::Uploading((sent * 100.0) as u32)),
                move |answer| {
                    let state = match answer.map(|t| uploaded_id(&t)) {
                        Ok(Some(id)) => State::Ready(id),
                        Ok(None) => State::Failed(failure(&ApiError::Network)),
                        Err(e) => State::Failed(failure(&e)),
                    };
                    this.set(key, state);
                },
            );
            self.pending.update(|list| {
                list.push(Pending {
                    key,
                    name: file.name(),
                    state: State::Uploading(0),
                    request: request.map(SendWrapper::new),
                })
            });
        }
    }

    /// Cancels an upload, or removes a finished or failed one.
    pub fn remove(&self, key: u32) {
        self.pending.update(|list| {
            if let Some(item) = list.iter().find(|p| p.key == key) {
                if let (State::Uploading(_), Some(request)) = (&item.state, &item.request) {
                    let _ = request.abort();
                }
            }
            list.retain(|p| p.key != key);
        });
    }

    /// The uploads ready to go with the next message.
    pub fn ready(&self) -> Vec<AttachmentId> {
        self.pending.with_untracked(|list| {
            list.iter()
                .filter_map(|p| match p.state {
                    State::Ready(id) => Some(id),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn uploading(&self) -> bool {
        self.pending
            .with(|list| list.iter().any(|p| matches!(p.state, State::Uploading(_))))
    }

    /// After a send: the files it took are gone from the list.
    pub fn sent(&self, ids: &[AttachmentId]) {
        self.pending.update(|list| {
            list.retain(|p| !matches!(p.state, State::Ready(id) if ids.contains(&id)))
        });
    }
}

/// The `attachmentId` of an upload's answer (`AttachmentUploaded`).
fn uploaded_id(text: &str) -> Option<AttachmentId> {
    let value = js_sys::JSON::parse(text).ok()?;
    crate::js::FromJs::from_js(&crate::js::field(&value, "attachmentId"))
}

/// The uploads above the composer.
#[component]
pub fn PendingFiles(files: Files) -> impl IntoView {
    view! {
        <ul class="pending" aria-label=t(Msg::FilesToSend)>
            {move || files.pending.get().into_iter().map(|p| {
                let key = p.key;
                let (status, bar) = match &p.state {
                    State::Uploading(sent) => (format!("{sent}%"), Some(*sent)),
                    State::Ready(_) => (t(Msg::Ready).into(), None),
                    State::Failed(why) => (why.clone(), None),
                };
                let failed = matches!(p.state, State::Failed(_));
                view! {
                    <li class="file" class:failed=failed>
                        <span class="file-name">{p.name.clone()}</span>
                        <span class="file-status" role=failed.then_some("alert")>{status}</span>
                        {bar.map(|sent| view! { <progress max="100" value=sent aria-label=t(Msg::UploadProgress)></progress> })}
                        <button type="button" class="icon-btn small" aria-label=tf(Msg::Remove, &p.name) on:click=move |_| files.remove(key)>
                            <span aria-hidden="true">"\u{2715}"</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// A message's attachment.
pub fn attachment_view(a: Attachment) -> impl IntoView {
    let image = a.preview_url.is_some();
    let download = (!image).then(|| a.name.clone());
    let inside = match a.preview_url {
        Some(preview) => view! { <img src=preview alt=a.name loading="lazy"/> }.into_any(),
        None => view! {
            <span class="file-name">{a.name.clone()}</span>
            <span class="file-size">{size_label(a.size)}</span>
        }
        .into_any(),
    };
    view! {
        <a
            class=if image { "thumb" } else { "file-chip" }
            href=a.url
            target=image.then_some("_blank")
            rel="noopener"
            download=download
        >{inside}</a>
    }
}
