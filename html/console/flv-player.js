// Plays an HTTP-FLV live stream in a <video> through Media Source Extensions, as flv.js does for
// SRS users: fetch() streams the FLV, FLVDemuxer cuts it into tags, FLVRemuxer makes fMP4, one
// SourceBuffer plays it. Bounded: at most 8 MiB waits for the SourceBuffer (then it drops to the
// next keyframe), the buffer keeps 10 s behind the playhead and 60 s in all, and playback jumps
// to 1 s behind the live edge when it falls 3 s behind.

import { FLVDemuxer } from './flv-demuxer.js';
import { FLVRemuxer } from './flv-remuxer.js';
import { concat } from './mp4-boxes.js';

const MAX_QUEUED = 8 * 1024 * 1024;
const KEEP_BEHIND_S = 10;
const KEEP_TOTAL_S = 60;
const MAX_LATENCY_S = 3;
const TARGET_LATENCY_S = 1;

/// One preview at a time; `play(url)` replaces the previous one.
export class FLVPlayer {
  /** `onState(state, detail)`: state is connecting, playing, ended, stopped or error. */
  constructor(video, onState) {
    this.video = video;
    this.onState = onState;
    this.session = null;
  }

  get stats() {
    const s = this.session;
    if (!s) return null;
    const b = this.video.buffered;
    const end = b.length ? b.end(b.length - 1) : 0;
    return { mime: s.mime, bytes: s.bytes, segments: s.segments, latency: Math.max(0, end - this.video.currentTime),
      missing: s.remuxer.missing, dropped: s.dropped };
  }

  async play(url) {
    this.stop();
    const s = { url, abort: new AbortController(), demuxer: new FLVDemuxer(), remuxer: new FLVRemuxer(),
      queue: [], queued: 0, bytes: 0, segments: 0, dropped: 0, sb: null, mime: '', ending: false, started: false };
    this.session = s;
    this.report(s, 'connecting', url);
    try {
      s.ms = new MediaSource();
      s.objectURL = URL.createObjectURL(s.ms);
      this.video.src = s.objectURL;
      await new Promise((resolve) => s.ms.addEventListener('sourceopen', resolve, { once: true }));
      const res = await fetch(url, { signal: s.abort.signal, cache: 'no-store', credentials: 'omit' });
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
      s.timer = setInterval(() => this.tend(s), 500);
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        s.bytes += value.length;
        this.output(s, s.remuxer.push(s.demuxer.push(value)));
      }
      this.finish(s);
    } catch (e) {
      if (this.session !== s || s.ending) return; // stopped, or finished on purpose
      this.report(s, 'error', e.message || String(e));
      this.teardown(s);
    }
  }

  /** The stream is over (the API says its publisher left): play what is buffered, then end. */
  finish(s = this.session) {
    if (!s || s.ending) return;
    s.ending = true;
    s.abort.abort();
    try {
      this.output(s, s.remuxer.end());
    } catch (e) {
      this.report(s, 'error', e.message);
    }
    if (!s.sb) this.report(s, 'ended', 'the stream ended before it could play');
    this.pump(s);
  }

  stop() {
    const s = this.session;
    if (!s) return;
    s.ending = true;
    s.abort.abort();
    this.teardown(s);
    this.report(s, 'stopped', '');
    this.session = null;
  }

  teardown(s) {
    clearInterval(s.timer);
    if (this.video.src === s.objectURL) {
      this.video.pause();
      this.video.removeAttribute('src');
      this.video.load();
    }
    URL.revokeObjectURL(s.objectURL);
  }

  output(s, outs) {
    for (const o of outs) {
      if (o.type === 'init') {
        if (!s.sb) this.open(s, o.mime);
        else if (o.mime !== s.mime && s.sb.changeType) { s.queue.push({ type: o.mime }); }
        s.mime = o.mime;
      }
      if (s.queued > MAX_QUEUED && o.type === 'media') {
        // The page cannot keep up (a hidden tab): drop what waits, restart at a keyframe.
        s.queue = s.queue.filter((q) => q.data === undefined || q.init);
        s.queued = s.queue.reduce((n, q) => n + (q.data ? q.data.length : 0), 0);
        s.dropped++;
        s.remuxer.resync();
        continue;
      }
      s.queue.push({ data: o.data, init: o.type === 'init' });
      s.queued += o.data.length;
    }
    this.pump(s);
  }

  open(s, mime) {
    if (!window.MediaSource || !MediaSource.isTypeSupported(mime)) throw new Error(`this browser cannot play ${mime}`);
    s.sb = s.ms.addSourceBuffer(mime);
    s.sb.addEventListener('updateend', () => this.updated(s));
    s.sb.addEventListener('error', () => this.report(s, 'error', 'the SourceBuffer failed'));
    this.video.addEventListener('ended', () => { if (this.session === s) this.report(s, 'ended', 'the stream ended'); }, { once: true });
  }

  pump(s) {
    if (!s.sb || s.sb.updating || s.ms.readyState !== 'open' || this.session !== s) return;
    try {
      if (s.trim) {
        const [from, to] = s.trim;
        s.trim = null;
        s.sb.remove(from, to);
        return;
      }
      if (s.queue.length && s.queue[0].type) s.sb.changeType(s.queue.shift().type);
      if (!s.queue.length) {
        if (s.ending) {
          s.ms.endOfStream();
          if (!s.started) this.report(s, 'ended', 'the stream ended before it could play');
        }
        return;
      }
      const n = s.queue.findIndex((q) => q.type);
      const batch = s.queue.splice(0, n < 0 ? s.queue.length : n);
      const data = concat(batch.map((q) => q.data));
      s.queued -= data.length;
      try {
        s.sb.appendBuffer(data);
        s.segments += batch.length;
      } catch (e) {
        if (e.name !== 'QuotaExceededError') throw e;
        s.queue.unshift(...batch); // full: free what was played, then try again
        s.queued += data.length;
        const b = this.video.buffered;
        if (b.length && this.video.currentTime - b.start(0) > 1) s.sb.remove(b.start(0), this.video.currentTime - 1);
      }
    } catch (e) {
      this.report(s, 'error', e.message || String(e));
      s.ending = true;
      s.abort.abort();
      this.teardown(s);
    }
  }

  updated(s) {
    if (this.session !== s) return;
    if (!s.started && this.video.buffered.length) {
      s.started = true;
      this.video.currentTime = this.video.buffered.start(0);
      this.video.play().catch(() => {}); // muted autoplay; a refusal leaves the controls to the user
      this.report(s, 'playing', s.mime);
    }
    this.pump(s);
  }

  /** Twice a second: keep near the live edge, skip gaps, bound the buffer. */
  tend(s) {
    const v = this.video;
    const b = v.buffered;
    if (!s.started || !b.length || s.ending) return;
    const end = b.end(b.length - 1);
    if (!v.paused && end - v.currentTime > MAX_LATENCY_S) v.currentTime = end - TARGET_LATENCY_S;
    else if (!v.paused && !inRange(b, v.currentTime)) {
      for (let i = 0; i < b.length; i++) if (b.start(i) > v.currentTime) { v.currentTime = b.start(i); break; }
    }
    const keepFrom = Math.max(v.currentTime - KEEP_BEHIND_S, end - KEEP_TOTAL_S);
    if (b.start(0) < keepFrom - 1 && !s.trim) { s.trim = [0, keepFrom]; this.pump(s); }
  }

  report(s, state, detail) {
    if (this.session === s || state === 'stopped') this.onState(state, detail);
  }
}

function inRange(b, t) {
  for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t < b.end(i)) return true;
  return false;
}
