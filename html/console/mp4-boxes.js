// Fragmented MP4 boxes for Media Source Extensions (ISO/IEC 14496-12; the MSE "ISO BMFF byte
// stream format"): an init segment (ftyp + moov with one trak per track and mvex) and media
// segments (moof + mdat). Every track uses a 1 ms timescale, FLV's.

export const TIMESCALE = 1000;

/** ftyp + moov for `tracks`: [{id, kind: 'video'|'audio', config, width, height, sampleRate, channels}]. */
export function initSegment(tracks) {
  const ftyp = box('ftyp', ascii('isom'), u32(512), ascii('isomiso6avc1mp41'));
  const mvhd = fullBox('mvhd', 0, 0, u32(0), u32(0), u32(TIMESCALE), u32(0), u32(0x00010000), u16(0x0100),
    zeros(10), MATRIX, zeros(24), u32(Math.max(...tracks.map((t) => t.id)) + 1));
  const mvex = box('mvex', ...tracks.map((t) => fullBox('trex', 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0))));
  return concat([ftyp, box('moov', mvhd, ...tracks.map(trak), mvex)]);
}

function trak(t) {
  const video = t.kind === 'video';
  const tkhd = fullBox('tkhd', 0, 3, u32(0), u32(0), u32(t.id), u32(0), u32(0), zeros(8), u16(0), u16(0),
    u16(video ? 0 : 0x0100), u16(0), MATRIX, u32((t.width || 0) * 65536), u32((t.height || 0) * 65536));
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(TIMESCALE), u32(0), u16(0x55c4), u16(0)); // 'und'
  const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii(video ? 'vide' : 'soun'), zeros(12),
    ascii(video ? 'VideoHandler' : 'SoundHandler'), zeros(1));
  const header = video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box('stbl', fullBox('stsd', 0, 0, u32(1), video ? avc1(t) : mp4a(t)),
    fullBox('stts', 0, 0, u32(0)), fullBox('stsc', 0, 0, u32(0)), fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)));
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', header, dinf, stbl)));
}

function avc1(t) {
  return box('avc1', zeros(6), u16(1), zeros(16), u16(t.width || 0), u16(t.height || 0),
    u32(0x00480000), u32(0x00480000), u32(0), u16(1), zeros(32), u16(0x0018), u16(0xffff), box('avcC', t.config));
}

function mp4a(t) {
  return box('mp4a', zeros(6), u16(1), zeros(8), u16(t.channels), u16(16), u32(0),
    u16(Math.min(t.sampleRate, 0xffff)), u16(0), esds(t.config));
}

/** The MPEG-4 elementary stream descriptor around the AudioSpecificConfig (14496-1 §7.2.6.5). */
function esds(asc) {
  const specific = descriptor(5, asc);
  const decoderConfig = descriptor(4, concat([new Uint8Array([0x40, 0x15]), u24(0), u32(0), u32(0), specific]));
  const sl = descriptor(6, new Uint8Array([2]));
  return fullBox('esds', 0, 0, descriptor(3, concat([u16(1), new Uint8Array([0]), decoderConfig, sl])));
}

function descriptor(tag, body) {
  const n = body.length; // four-byte size form, as most muxers write it
  return concat([new Uint8Array([tag, 0x80 | ((n >> 21) & 0x7f), 0x80 | ((n >> 14) & 0x7f), 0x80 | ((n >> 7) & 0x7f), n & 0x7f]), body]);
}

const SYNC = 0x02000000; // sample_depends_on = 2 (an I frame)
const NON_SYNC = 0x01010000; // sample_depends_on = 1, sample_is_non_sync_sample

/**
 * moof + mdat: `runs` = [{track, baseTime, samples: [{duration, cts, key, data}]}], one traf each,
 * their data in that order in the one mdat.
 */
export function mediaSegment(sequence, runs) {
  // Sizes first: each trun's data_offset counts from the start of the moof.
  const trafSize = (r) => 8 + (8 + 8) + (8 + 12) + (8 + 12 + 16 * r.samples.length);
  const moofSize = 8 + 16 + runs.reduce((n, r) => n + trafSize(r), 0);
  let offset = moofSize + 8;
  const trafs = runs.map((r) => {
    const tfhd = fullBox('tfhd', 0, 0x020000, u32(r.track.id)); // default-base-is-moof
    const tfdt = fullBox('tfdt', 1, 0, u64(r.baseTime));
    const entries = r.samples.map((s) => concat([u32(s.duration), u32(s.data.length),
      u32(r.track.kind === 'audio' || s.key ? SYNC : NON_SYNC), u32(s.cts || 0)]));
    const trun = fullBox('trun', 1, 0x000f01, u32(r.samples.length), u32(offset), ...entries);
    offset += r.samples.reduce((n, s) => n + s.data.length, 0);
    return box('traf', tfhd, tfdt, trun);
  });
  const moof = box('moof', fullBox('mfhd', 0, 0, u32(sequence)), ...trafs);
  const mdat = box('mdat', ...runs.flatMap((r) => r.samples.map((s) => s.data)));
  return concat([moof, mdat]);
}

function box(type, ...parts) {
  const body = concat(parts);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(ascii(type), 4);
  out.set(body, 8);
  return out;
}

function fullBox(type, version, flags, ...parts) {
  return box(type, new Uint8Array([version, (flags >> 16) & 0xff, (flags >> 8) & 0xff, flags & 0xff]), ...parts);
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) { out.set(part, p); p += part.length; }
  return out;
}

const MATRIX = concat([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32));
function zeros(n) { return new Uint8Array(n); }
function ascii(s) { return Uint8Array.from(s, (c) => c.charCodeAt(0)); }
function u16(v) { return new Uint8Array([(v >> 8) & 0xff, v & 0xff]); }
function u24(v) { return new Uint8Array([(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]); }
function u32(v) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0); return b; }
function u64(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(v)))); return b; }
