//! The call's audio: the microphone into an AudioWorklet
//! (`public/voice-worklet.js`) that makes 16-bit PCM frames, sent over
//! Vapi's call socket; what the socket sends back, played by the same
//! worklet. No third-party script: a socket and the browser's audio.

use js_sys::{ArrayBuffer, Int16Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioContextOptions, AudioWorkletNode, BinaryType, MediaStream,
    MediaStreamConstraints, MessageEvent, MessagePort, WebSocket,
};

/// Asks for the microphone (the browser may ask the visitor).
pub async fn microphone() -> Result<MediaStream, JsValue> {
    let devices = web_sys::window()
        .ok_or(JsValue::NULL)?
        .navigator()
        .media_devices()?;
    let wanted = MediaStreamConstraints::new();
    wanted.set_audio(&JsValue::TRUE);
    JsFuture::from(devices.get_user_media_with_constraints(&wanted)?)
        .await?
        .dyn_into()
}

/// Stops the microphone (the browser's indicator goes off).
pub fn release(stream: &MediaStream) {
    for track in stream.get_tracks() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// A call in progress: dropped or [`Call::end`]ed, everything stops.
pub struct Call {
    context: AudioContext,
    socket: WebSocket,
    port: MessagePort,
    stream: MediaStream,
    // Kept alive for as long as the call.
    _handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
    _closed: Closure<dyn FnMut()>,
}

impl Call {
    /// Connects the microphone to `socket_url` at `rate` samples a second;
    /// `speaking` hears whether the assistant is being heard, `closed`
    /// that the call's socket closed.
    pub async fn start(
        stream: MediaStream,
        socket_url: &str,
        rate: u32,
        speaking: impl Fn(bool) + 'static,
        closed: impl FnMut() + 'static,
    ) -> Result<Self, JsValue> {
        let options = AudioContextOptions::new();
        options.set_sample_rate(rate as f32);
        let context = AudioContext::new_with_context_options(&options)?;
        let started = async {
            JsFuture::from(context.audio_worklet()?.add_module("voice-worklet.js")?).await?;
            let _ = context.resume().map(JsFuture::from);
            AudioWorkletNode::new(&context, "echo-voice")
        };
        let node = match started.await {
            Ok(node) => node,
            Err(error) => {
                let _ = context.close();
                return Err(error);
            }
        };
        context
            .create_media_stream_source(&stream)?
            .connect_with_audio_node(&node)?;
        node.connect_with_audio_node(&context.destination())?;
        let socket = WebSocket::new(socket_url)?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let port = node.port()?;

        // Microphone frames out; the assistant heard or not.
        let out = {
            let socket = socket.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let data = e.data();
                if let Some(frame) = data.dyn_ref::<ArrayBuffer>() {
                    if socket.ready_state() == WebSocket::OPEN {
                        let _ = socket.send_with_array_buffer(frame);
                    }
                } else if let Some(heard) = data.as_bool() {
                    speaking(heard);
                }
            })
        };
        port.set_onmessage(Some(out.as_ref().unchecked_ref()));
        // The assistant's audio in, to be played; control messages ignored.
        let incoming = {
            let port = port.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(audio) = e.data().dyn_ref::<ArrayBuffer>() {
                    let _ = port.post_message(&Int16Array::new(audio));
                }
            })
        };
        socket.set_onmessage(Some(incoming.as_ref().unchecked_ref()));
        let closed = Closure::<dyn FnMut()>::new(closed);
        socket.set_onclose(Some(closed.as_ref().unchecked_ref()));
        socket.set_onerror(Some(closed.as_ref().unchecked_ref()));
        Ok(Self {
            context,
            socket,
            port,
            stream,
            _handlers: vec![out, incoming],
            _closed: closed,
        })
    }

    /// A muted microphone sends silence (the call goes on).
    pub fn set_muted(&self, muted: bool) {
        for track in self.stream.get_audio_tracks() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                track.set_enabled(!muted);
            }
        }
    }

    /// Hangs up (Vapi's `hangup` control message) and stops everything.
    /// The handlers are unhooked first: frames the worklet or the socket
    /// had already queued would otherwise reach closures dropped with the
    /// call.
    pub fn end(&self) {
        self.port.set_onmessage(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
        if self.socket.ready_state() == WebSocket::OPEN {
            let _ = self.socket.send_with_str(r#"{"type":"hangup"}"#);
        }
        let _ = self.socket.close();
        release(&self.stream);
        let _ = self.context.close();
    }
}
