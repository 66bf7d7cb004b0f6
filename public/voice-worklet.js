// Echo's voice calls: the audio thread's half. The page's AudioContext
// runs at the call's sample rate (16 kHz), so no resampling here: the
// microphone's samples go out as 16-bit PCM in 20 ms frames; the
// assistant's PCM frames that come in are queued and played; and the page
// hears when the assistant starts and stops being heard.
class EchoVoice extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.at = 0;
    this.frame = new Int16Array(320);
    this.filled = 0;
    this.speaking = false;
    this.port.onmessage = (e) => this.queue.push(e.data);
  }

  process(inputs, outputs) {
    const input = inputs[0][0];
    for (let i = 0; input && i < input.length; i++) {
      this.frame[this.filled++] = Math.max(-1, Math.min(1, input[i])) * 32767;
      if (this.filled == this.frame.length) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(320);
        this.filled = 0;
      }
    }
    const output = outputs[0][0];
    let played = false;
    for (let i = 0; output && i < output.length; i++) {
      const chunk = this.queue[0];
      output[i] = chunk ? chunk[this.at++] / 32768 : 0;
      played ||= !!chunk;
      if (chunk && this.at >= chunk.length) {
        this.queue.shift();
        this.at = 0;
      }
    }
    if (played != this.speaking) this.port.postMessage((this.speaking = played));
    return true;
  }
}

registerProcessor("echo-voice", EchoVoice);
