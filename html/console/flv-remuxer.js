// FLV tags (from FLVDemuxer) → fragmented MP4 for one MSE SourceBuffer: an init segment with a
// trak per track the stream has, then a moof+mdat per batch of tags.
//
// Which tracks: the sequence headers say. SRS sends metadata and both sequence headers first, so
// normally both are known at once; a stream without one of them (audio-only, video-only) starts
// once 1 s of media, or 200 tags, came without it. A track that appears later is left out.
// Timeline: milliseconds from the first keyframe (audio before it is dropped); a sample's
// duration is the gap to the next one, so the last sample of each track is held back until the
// next arrives (or the stream ends). A jump backwards or of more than 10 s (a republish on the
// same HTTP-FLV connection) continues the timeline where it was.

import { initSegment, mediaSegment } from './mp4-boxes.js';
import { parseAVCConfig, parseAACConfig } from './codec-config.js';

const WAIT_MS = 1000;
const WAIT_TAGS = 200;
const MAX_EARLY_TAGS = 2000;
const MAX_GAP_MS = 10000;
const DEFAULT_DURATION = { video: 40, audio: 23 };

export class FLVRemuxer {
  constructor() {
    this.configs = {};    // kind → sequence header bytes, latest
    this.unsupported = {}; // kind → codec name
    this.early = [];      // media tags before the tracks are decided
    this.tracks = null;   // kind → track, once started
    this.base = null;     // FLV timestamp of timeline 0
    this.waitKey = true;
    this.sequence = 0;
    this.out = [];
  }

  /** The MSE type of the init segment, e.g. `video/mp4; codecs="avc1.42c01e,mp4a.40.2"`. */
  get mime() {
    const t = Object.values(this.tracks || {});
    const kind = t.some((x) => x.kind === 'video') ? 'video' : 'audio';
    return `${kind}/mp4; codecs="${t.map((x) => x.codec).join(',')}"`;
  }

  /** Feeds tags; returns `[{type: 'init', mime, data} | {type: 'media', data}]` now ready. */
  push(tags) {
    for (const tag of tags) {
      if (tag.unsupported) { this.unsupported[tag.kind] = tag.unsupported; continue; }
      if (tag.config) { this.setConfig(tag.kind, tag.config); continue; }
      if (this.tracks) this.add(tag);
      else this.early.push(tag);
    }
    if (!this.tracks) this.maybeStart(false);
    this.flush();
    return this.take();
  }

  /** The stream ended: flushes the held samples. */
  end() {
    if (!this.tracks) this.maybeStart(true);
    this.flushHeld();
    this.flush();
    return this.take();
  }

  /** After segments were dropped (the player fell behind): restart at the next keyframe. */
  resync() {
    for (const t of Object.values(this.tracks || {})) { t.samples = []; t.held = null; }
    this.waitKey = true;
  }

  /** Kinds the preview leaves out, with why. */
  get missing() {
    const m = {};
    for (const kind of ['video', 'audio']) {
      if (this.unsupported[kind]) m[kind] = `${this.unsupported[kind]} is not supported`;
      else if (this.tracks && !this.tracks[kind] && this.configs[kind]) m[kind] = 'arrived after the start';
    }
    return m;
  }

  setConfig(kind, config) {
    const old = this.configs[kind];
    if (old && old.length === config.length && old.every((b, i) => b === config[i])) return;
    this.configs[kind] = config;
    const t = this.tracks && this.tracks[kind];
    if (!t) return;
    // New codec parameters mid-stream (a republish): what came before, then a new init segment.
    this.flushHeld();
    this.flush();
    Object.assign(t, describe(kind, config));
    this.out.push({ type: 'init', mime: this.mime, data: initSegment(Object.values(this.tracks)) });
  }

  maybeStart(ended) {
    const { video, audio } = this.configs;
    const span = this.early.length ? this.early[this.early.length - 1].ts - this.early[0].ts : 0;
    const waited = ended || span >= WAIT_MS || this.early.length >= WAIT_TAGS;
    if (!(video && audio) && !((video || audio) && waited)) {
      if (this.early.length > MAX_EARLY_TAGS) throw new Error('no AVC or AAC sequence header in the stream');
      return;
    }
    this.tracks = {};
    let id = 1;
    for (const kind of ['video', 'audio']) {
      if (!this.configs[kind] || this.unsupported[kind]) continue;
      this.tracks[kind] = { id: id++, kind, samples: [], held: null, lastDuration: 0, ...describe(kind, this.configs[kind]) };
    }
    if (id === 1) throw new Error('no playable track: ' + Object.values(this.unsupported).join(', '));
    this.out.push({ type: 'init', mime: this.mime, data: initSegment(Object.values(this.tracks)) });
    const early = this.early;
    this.early = [];
    for (const tag of early) this.add(tag);
  }

  add(tag) {
    const t = this.tracks[tag.kind];
    if (!t) return;
    if (this.waitKey && this.tracks.video && (tag.kind === 'audio' || !tag.key)) return;
    this.waitKey = false;
    if (this.base === null) this.base = tag.ts;
    let dts = tag.ts - this.base;
    const prev = t.held;
    // Where this track's timeline goes on (undefined: its first sample).
    const next = prev ? prev.dts + (t.lastDuration || DEFAULT_DURATION[t.kind]) : t.end;
    if (next === undefined) {
      if (dts < 0) return; // before the first keyframe
    } else if (dts < (prev ? prev.dts : t.end) || dts - next > MAX_GAP_MS) {
      this.base += dts - next;
      dts = next;
    }
    if (prev) {
      prev.duration = Math.max(1, dts - prev.dts);
      t.lastDuration = prev.duration;
      t.samples.push(prev);
    }
    t.held = { dts, cts: tag.cts || 0, key: tag.key, data: tag.data };
  }

  /** Every held sample goes out with the last duration seen. */
  flushHeld() {
    for (const t of Object.values(this.tracks || {})) {
      if (!t.held) continue;
      t.held.duration = t.lastDuration || DEFAULT_DURATION[t.kind];
      t.end = t.held.dts + t.held.duration;
      t.samples.push(t.held);
      t.held = null;
    }
  }

  flush() {
    if (!this.tracks) return;
    const runs = Object.values(this.tracks).filter((t) => t.samples.length)
      .map((t) => ({ track: t, baseTime: t.samples[0].dts, samples: t.samples }));
    if (!runs.length) return;
    this.out.push({ type: 'media', data: mediaSegment(++this.sequence, runs) });
    for (const r of runs) r.track.samples = [];
  }

  take() { const out = this.out; this.out = []; return out; }
}

function describe(kind, config) {
  return { config, ...(kind === 'video' ? parseAVCConfig(config) : parseAACConfig(config)) };
}
