//! Following Echo's push channel: Server-Sent Events read from a streamed
//! `fetch`, with resume after a drop and backoff between attempts.

use std::future::Future;

use echo_protocol::events::LiveEvent;
use echo_protocol::sse::{backoff_ms, SseParser};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

/// Why a stream could not be opened.
pub enum OpenError<E> {
    /// Worth another try later (network down, server restarting).
    Retry,
    /// Final (the credential or the conversation is gone): stop following.
    Refused(E),
}

/// An event as a client decodes it: the console takes the whole
/// [`LiveEvent`]; the widget a smaller struct of its own (the flattened,
/// tagged enum's generic decoder costs it about 5 KB of wasm).
pub trait PushEvent: Sized {
    /// The event in a frame's data (JSON), if it is one.
    fn decode(data: &str) -> Option<Self>;
    /// The event's position, `None` for a live-only event (which must not
    /// move the resume point).
    fn resume_position(&self) -> Option<i64>;
}

impl PushEvent for LiveEvent {
    fn decode(data: &str) -> Option<Self> {
        crate::http::parse_json(data)
    }

    fn resume_position(&self) -> Option<i64> {
        (!self.change.is_ephemeral()).then_some(self.position)
    }
}

/// What [`follow`] reports.
pub enum Signal<T = LiveEvent> {
    /// The stream is live; `first` on the first connection only (the moment
    /// to load history, since nothing can now fall between the two).
    Ready { first: bool },
    /// An event, in position order, each once.
    Event(T),
    /// The stream dropped; a reconnect follows after a backoff.
    Down,
    /// The server no longer has the events missed while disconnected (they
    /// were pruned): reload what is shown; live events follow from here.
    Reset,
}

/// Follows an event stream until `stopped()` or a refusal, which it returns.
/// Reconnects resume after the last position seen (from the last event, or
/// from the `ready` frame if none came), so nothing is missed or repeated.
pub async fn follow<T, E, Open, Opening>(
    mut open: Open,
    stopped: impl Fn() -> bool,
    mut on: impl FnMut(Signal<T>),
) -> Option<E>
where
    T: PushEvent,
    Open: FnMut(Option<i64>) -> Opening,
    Opening: Future<Output = Result<ReadableStreamDefaultReader, OpenError<E>>>,
{
    let mut position = None;
    let mut connected_before = false;
    let mut failures = 0;
    while !stopped() {
        match open(position).await {
            Err(OpenError::Refused(error)) => return Some(error),
            Err(OpenError::Retry) => {}
            Ok(reader) => {
                let mut parser = SseParser::default();
                while let Some(bytes) = read_chunk(&reader).await {
                    for frame in parser.push(&bytes) {
                        if frame.event == "ready" {
                            failures = 0;
                            if position.is_none() {
                                position = stream_position(&frame.data);
                            }
                            on(Signal::Ready {
                                first: !connected_before,
                            });
                            connected_before = true;
                        } else if frame.event == "reset" {
                            position = stream_position(&frame.data).or(position);
                            on(Signal::Reset);
                        } else if let Some(event) = T::decode(&frame.data) {
                            position = event.resume_position().or(position);
                            on(Signal::Event(event));
                        }
                    }
                }
            }
        }
        if stopped() {
            return None;
        }
        on(Signal::Down);
        failures += 1;
        sleep(backoff_ms(failures, js_sys::Math::random())).await;
    }
    None
}

/// The position a `ready` or `reset` frame announces.
fn stream_position(data: &str) -> Option<i64> {
    crate::js::integer(&js_sys::JSON::parse(data).ok()?, "position")
}

/// The next chunk of a streamed body, or `None` at its end (or on an error).
pub async fn read_chunk(reader: &ReadableStreamDefaultReader) -> Option<Vec<u8>> {
    let result = JsFuture::from(reader.read()).await.ok()?;
    let field = |name: &str| js_sys::Reflect::get(&result, &JsValue::from_str(name)).ok();
    if field("done")?.as_bool().unwrap_or(true) {
        return None;
    }
    Some(
        field("value")?
            .dyn_into::<js_sys::Uint8Array>()
            .ok()?
            .to_vec(),
    )
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
