// What the fMP4 init segment and the MSE codec string need from the FLV sequence headers:
// the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1, with the SPS of H.264 §7.3.2.1)
// and the AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).

/** `{codec: 'avc1.PPCCLL', width, height}` from an avcC record; throws when it is too short. */
export function parseAVCConfig(avcC) {
  if (avcC.length < 7 || avcC[0] !== 1) throw new Error('bad AVC sequence header');
  const hex = (v) => v.toString(16).padStart(2, '0');
  const codec = `avc1.${hex(avcC[1])}${hex(avcC[2])}${hex(avcC[3])}`;
  let size = { width: 0, height: 0 };
  const spsCount = avcC[5] & 0x1f;
  if (spsCount > 0 && avcC.length >= 8) {
    const len = (avcC[6] << 8) | avcC[7];
    try { size = spsSize(avcC.subarray(8, 8 + len)); } catch { /* the decoder reads the SPS itself */ }
  }
  return { codec, ...size };
}

/** `{codec: 'mp4a.40.N', sampleRate, channels}` from an AudioSpecificConfig. */
export function parseAACConfig(asc) {
  if (asc.length < 2) throw new Error('bad AAC sequence header');
  const r = new BitReader(asc);
  let objectType = r.bits(5);
  if (objectType === 31) objectType = 32 + r.bits(6);
  const rateIndex = r.bits(4);
  const sampleRate = rateIndex === 15 ? r.bits(24) : (AAC_RATES[rateIndex] || 44100);
  const channels = r.bits(4) || 2;
  return { codec: `mp4a.40.${objectType}`, sampleRate, channels };
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** The displayed size from an SPS NAL unit (with its header byte). */
function spsSize(nal) {
  const r = new BitReader(unescape(nal.subarray(1)));
  const profile = r.bits(8);
  r.bits(16); // constraint flags, level
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profile)) {
    chroma = r.ue();
    if (chroma === 3) r.bits(1); // separate_colour_plane_flag
    r.ue(); r.ue(); r.bits(1); // bit depths, qpprime_y_zero_transform_bypass_flag
    if (r.bits(1)) { // seq_scaling_matrix_present_flag
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) if (r.bits(1)) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.bits(1); r.se(); r.se();
    for (let n = r.ue(), i = 0; i < n; i++) r.se();
  }
  r.ue(); r.bits(1); // max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
  const mbWidth = r.ue() + 1;
  const mapHeight = r.ue() + 1;
  const frameMbsOnly = r.bits(1);
  if (!frameMbsOnly) r.bits(1);
  r.bits(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.bits(1)) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  const cropX = chroma === 0 || chroma === 3 ? 1 : 2;
  const cropY = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
  return { width: mbWidth * 16 - cropX * (crop[0] + crop[1]), height: (2 - frameMbsOnly) * mapHeight * 16 - cropY * (crop[2] + crop[3]) };
}

function skipScalingList(r, size) {
  let last = 8, next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** The RBSP of a NAL unit: without the emulation prevention bytes (00 00 03 → 00 00). */
function unescape(b) {
  const out = [];
  for (let i = 0; i < b.length; i++) {
    if (i >= 2 && b[i] === 3 && b[i - 1] === 0 && b[i - 2] === 0) continue;
    out.push(b[i]);
  }
  return new Uint8Array(out);
}

class BitReader {
  constructor(bytes) { this.b = bytes; this.pos = 0; }
  bits(n) {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.b[this.pos >> 3];
      if (byte === undefined) throw new Error('bitstream ended');
      v = v * 2 + ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
  ue() {
    let zeros = 0;
    while (this.bits(1) === 0) if (++zeros > 31) throw new Error('bad exp-Golomb code');
    return zeros === 0 ? 0 : (2 ** zeros - 1) + this.bits(zeros);
  }
  se() { const k = this.ue(); return k & 1 ? (k + 1) / 2 : -k / 2; }
}
