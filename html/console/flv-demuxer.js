// FLV → tags, as the HTTP-FLV stream arrives in arbitrary chunks (Adobe FLV spec v10.1, annex E).
// Video: AVC (codec id 7) only; audio: AAC (sound format 10) only. Other codecs are reported as
// `unsupported` tags so the player can leave that track out.

const MAX_PENDING = 32 * 1024 * 1024; // a tag is at most 16 MiB (24-bit size) + headers

/// An incremental FLV parser: `push(bytes)` returns the tags completed by those bytes.
export class FLVDemuxer {
  constructor() {
    this.buffer = new Uint8Array(0);
    this.headerDone = false;
  }

  /** Appends `chunk` and returns the complete tags, in order. Throws on a stream that is not FLV. */
  push(chunk) {
    let buf = this.buffer;
    if (buf.length === 0) buf = chunk;
    else {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
    }
    const tags = [];
    let p = 0;
    if (!this.headerDone) {
      if (buf.length < 9) { this.buffer = buf; return tags; }
      if (buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) throw new Error('not an FLV stream');
      const dataOffset = u32(buf, 5);
      if (buf.length < dataOffset + 4) { this.buffer = buf; return tags; }
      p = dataOffset + 4; // the header, then PreviousTagSize0
      this.headerDone = true;
    }
    while (buf.length - p >= 11) {
      const size = u24(buf, p + 1);
      if (buf.length - p < 11 + size + 4) break;
      const type = buf[p] & 0x1f;
      const ts = (u24(buf, p + 4) | (buf[p + 7] << 24)) >>> 0;
      const tag = parseTag(type, ts, buf.subarray(p + 11, p + 11 + size));
      if (tag) tags.push(tag);
      p += 11 + size + 4;
    }
    // Tags already returned keep views into `buf`; it is never written again, only replaced.
    this.buffer = buf.subarray(p);
    if (this.buffer.length > MAX_PENDING) throw new Error('FLV tag too large');
    return tags;
  }
}

function parseTag(type, ts, data) {
  if (type === 8) return parseAudio(ts, data);
  if (type === 9) return parseVideo(ts, data);
  return null; // script data (onMetaData): the sequence headers say all the preview needs
}

function parseVideo(ts, data) {
  if (data.length < 1) return null;
  const frameType = (data[0] >> 4) & 0x07;
  if (data[0] & 0x80) return { kind: 'video', unsupported: 'enhanced-rtmp ' + fourcc(data, 1), ts };
  const codecId = data[0] & 0x0f;
  if (codecId !== 7) return { kind: 'video', unsupported: VIDEO_CODECS[codecId] || `codec ${codecId}`, ts };
  if (frameType === 5 || data.length < 5) return null; // video info/command frame
  const packetType = data[1];
  const cts = ((data[2] << 16) | (data[3] << 8) | data[4]) << 8 >> 8; // signed 24-bit
  const payload = data.subarray(5);
  if (packetType === 0) return { kind: 'video', config: payload, ts };
  if (packetType === 1) return { kind: 'video', ts, cts, key: frameType === 1, data: payload };
  return null; // 2: end of sequence
}

function parseAudio(ts, data) {
  if (data.length < 2) return null;
  const format = data[0] >> 4;
  if (format !== 10) return { kind: 'audio', unsupported: AUDIO_CODECS[format] || `format ${format}`, ts };
  const payload = data.subarray(2);
  if (data[1] === 0) return { kind: 'audio', config: payload, ts };
  return { kind: 'audio', ts, data: payload };
}

const VIDEO_CODECS = { 2: 'Sorenson H.263', 3: 'Screen video', 4: 'VP6', 5: 'VP6 alpha', 6: 'Screen video 2', 12: 'HEVC' };
const AUDIO_CODECS = { 0: 'PCM', 1: 'ADPCM', 2: 'MP3', 3: 'PCM LE', 4: 'Nellymoser', 5: 'Nellymoser', 6: 'Nellymoser',
  7: 'G.711 A-law', 8: 'G.711 mu-law', 11: 'Speex', 13: 'Opus', 14: 'MP3 8kHz' };

function fourcc(b, p) { return b.length >= p + 4 ? String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]) : '?'; }
function u24(b, p) { return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2]; }
function u32(b, p) { return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0; }
