/// The moov box: movie header, then a trak per track with samples (video first, track 1).
extension MP4Writer {
    /// Timescale of the movie (mvhd, tkhd and edit list durations): milliseconds, as FLV.
    static let movieTimescale: Int64 = 1000
    /// Duration of a video track's last sample when there is no previous one to copy (25 fps).
    static let defaultFrameMs: Int64 = 40

    /// A finished track, ready to be written.
    struct TrackLayout {
        var id: UInt32
        var isVideo: Bool
        var table: MP4SampleTable
        var timescale: Int64
        /// Media duration in the track's timescale.
        var mediaDuration: Int64
        /// Presentation start in FLV milliseconds: first sample time + earliest composition.
        var startMs: Int64
        /// Movie time before the track starts (an empty edit), in movie timescale.
        var delay: Int64 = 0

        /// Movie-timescale duration of what the track presents.
        var presentedDuration: Int64 {
            max(0, (mediaDuration - table.minCompositionTime) * MP4Writer.movieTimescale / timescale)
        }
        var trackDuration: Int64 { delay + presentedDuration }
        /// An edit list is needed to delay the track or skip the B-frame reordering delay.
        var needsEdits: Bool { delay > 0 || table.minCompositionTime != 0 }
    }

    func movie() -> [UInt8] {
        var layouts: [TrackLayout] = []
        if var track = video, track.table.sampleCount > 0 {
            let last = track.lastNominal > 0 ? track.lastNominal : Self.defaultFrameMs
            let duration = track.table.close(lastDuration: UInt32(clamping: last))
            layouts.append(TrackLayout(id: 0, isVideo: true, table: track.table, timescale: track.timescale, mediaDuration: duration,
                                       startMs: (track.firstMs ?? 0) + track.table.minCompositionTime))
        }
        if var track = audio, track.table.sampleCount > 0 {
            let duration = track.table.close(lastDuration: UInt32(clamping: track.lastNominal))
            layouts.append(TrackLayout(id: 0, isVideo: false, table: track.table, timescale: track.timescale, mediaDuration: duration,
                                       startMs: track.firstMs ?? 0))
        }
        let origin = layouts.map(\.startMs).min() ?? 0
        for i in layouts.indices {
            layouts[i].id = UInt32(i + 1)
            layouts[i].delay = layouts[i].startMs - origin
        }
        let duration = layouts.map(\.trackDuration).max() ?? 0
        var w = ByteWriter(capacity: 4096 + layouts.reduce(0) { $0 + $1.table.sampleCount * 8 })
        w.box("moov") { w in
            writeMovieHeader(&w, duration: duration, nextTrackID: UInt32(layouts.count + 1))
            for layout in layouts { writeTrack(&w, layout) }
        }
        return w.bytes
    }

    /// A full box whose times and duration take version 1 (64 bits) when the duration needs it.
    private static func version(for duration: Int64) -> UInt8 {
        duration > Int64(UInt32.max) ? 1 : 0
    }

    /// creation and modification times (0: unknown), timescale, duration, in version 0 or 1.
    private static func times(_ w: inout ByteWriter, version: UInt8, timescale: Int64, duration: Int64) {
        if version == 1 {
            w.u64(0)
            w.u64(0)
            w.u32(UInt32(clamping: timescale))
            w.u64(UInt64(max(0, duration)))
        } else {
            w.u32(0)
            w.u32(0)
            w.u32(UInt32(clamping: timescale))
            w.u32(UInt32(clamping: duration))
        }
    }

    private func writeMovieHeader(_ w: inout ByteWriter, duration: Int64, nextTrackID: UInt32) {
        let version = Self.version(for: duration)
        w.fullBox("mvhd", version: version) { w in
            Self.times(&w, version: version, timescale: Self.movieTimescale, duration: duration)
            w.u32(0x0001_0000)  // rate 1.0
            w.u16(0x0100)  // volume 1.0
            w.append(repeatElement(UInt8(0), count: 10))  // reserved
            w.unityMatrix()
            w.append(repeatElement(UInt8(0), count: 24))  // pre_defined
            w.u32(nextTrackID)
        }
    }

    private func writeTrack(_ w: inout ByteWriter, _ t: TrackLayout) {
        w.box("trak") { w in
            let version = Self.version(for: t.trackDuration)
            // flags 3: track_enabled | track_in_movie.
            w.fullBox("tkhd", version: version, flags: 3) { w in
                if version == 1 {
                    w.u64(0)
                    w.u64(0)
                } else {
                    w.u32(0)
                    w.u32(0)
                }
                w.u32(t.id)
                w.u32(0)  // reserved
                if version == 1 { w.u64(UInt64(max(0, t.trackDuration))) } else { w.u32(UInt32(clamping: t.trackDuration)) }
                w.u64(0)  // reserved
                w.u16(0)  // layer
                w.u16(0)  // alternate_group
                w.u16(t.isVideo ? 0 : 0x0100)  // volume
                w.u16(0)  // reserved
                w.unityMatrix()
                w.u32(t.isVideo ? UInt32(clamping: (avc?.width ?? 0) << 16) : 0)
                w.u32(t.isVideo ? UInt32(clamping: (avc?.height ?? 0) << 16) : 0)
            }
            if t.needsEdits { writeEdits(&w, t) }
            w.box("mdia") { w in
                let mediaVersion = Self.version(for: t.mediaDuration)
                w.fullBox("mdhd", version: mediaVersion) { w in
                    Self.times(&w, version: mediaVersion, timescale: t.timescale, duration: t.mediaDuration)
                    w.u16(0x55C4)  // language "und", ISO-639-2/T packed in 3 × 5 bits
                    w.u16(0)
                }
                w.fullBox("hdlr") { w in
                    w.u32(0)  // pre_defined
                    w.fourCC(t.isVideo ? "vide" : "soun")
                    w.append(repeatElement(UInt8(0), count: 12))
                    w.append(Array((t.isVideo ? "VideoHandler" : "SoundHandler").utf8) + [0])
                }
                w.box("minf") { w in
                    if t.isVideo {
                        w.fullBox("vmhd", flags: 1) { w in w.append(repeatElement(UInt8(0), count: 8)) }
                    } else {
                        w.fullBox("smhd") { w in w.u32(0) }  // balance, reserved
                    }
                    w.box("dinf") { w in
                        w.fullBox("dref") { w in
                            w.u32(1)
                            w.fullBox("url ", flags: 1) { _ in }  // flag 1: the media is in this file
                        }
                    }
                    w.box("stbl") { w in
                        w.fullBox("stsd") { w in
                            w.u32(1)
                            if t.isVideo { writeVisualEntry(&w) } else { writeAudioEntry(&w) }
                        }
                        t.table.writeTables(into: &w, writeSync: t.isVideo)
                    }
                }
            }
        }
    }

    /// edts/elst: an empty edit for the track's delay, then the media from its first presented
    /// sample to its end (ISO/IEC 14496-12 8.6.6).
    private func writeEdits(_ w: inout ByteWriter, _ t: TrackLayout) {
        let large = t.trackDuration > Int64(UInt32.max) || t.table.minCompositionTime > Int64(Int32.max)
        let version: UInt8 = large ? 1 : 0
        w.box("edts") { w in
            w.fullBox("elst", version: version) { w in
                var entries: [(duration: Int64, mediaTime: Int64)] = []
                if t.delay > 0 { entries.append((t.delay, -1)) }
                entries.append((t.presentedDuration, t.table.minCompositionTime))
                w.u32(UInt32(entries.count))
                for e in entries {
                    if large {
                        w.u64(UInt64(e.duration))
                        w.u64(UInt64(bitPattern: e.mediaTime))
                    } else {
                        w.u32(UInt32(clamping: e.duration))
                        w.u32(UInt32(bitPattern: Int32(clamping: e.mediaTime)))
                    }
                    w.u16(1)  // media_rate_integer
                    w.u16(0)  // media_rate_fraction
                }
            }
        }
    }

    /// avc1 (ISO/IEC 14496-15 5.4.2) with the published avcC.
    private func writeVisualEntry(_ w: inout ByteWriter) {
        w.box("avc1") { w in
            w.append(repeatElement(UInt8(0), count: 6))  // reserved
            w.u16(1)  // data_reference_index
            w.append(repeatElement(UInt8(0), count: 16))  // pre_defined, reserved
            w.u16(UInt16(clamping: avc?.width ?? 0))
            w.u16(UInt16(clamping: avc?.height ?? 0))
            w.u32(0x0048_0000)  // 72 dpi
            w.u32(0x0048_0000)
            w.u32(0)  // reserved
            w.u16(1)  // frame_count
            w.append(repeatElement(UInt8(0), count: 32))  // compressorname
            w.u16(0x0018)  // depth
            w.u16(0xFFFF)  // pre_defined -1
            w.box("avcC") { w in w.append(avcRecord ?? []) }
        }
    }

    /// mp4a (ISO/IEC 14496-14 5.6) with an esds: AAC (object type 0x40) and its
    /// AudioSpecificConfig, or MPEG audio (0x6B for MPEG-1, 0x69 for MPEG-2 and 2.5 rates).
    private func writeAudioEntry(_ w: inout ByteWriter) {
        guard let codec = audioCodec else { return }
        let rate = Self.sampleRate(codec)
        let channels: Int
        let objectType: UInt8
        var specificConfig: [UInt8] = []
        switch codec {
        case .aac(let config, let bytes):
            channels = config.channels > 0 ? config.channels : 2
            objectType = 0x40
            specificConfig = bytes
        case .mp3(let header):
            channels = header.channels
            objectType = header.version == .mpeg1 ? 0x6B : 0x69
        }
        w.box("mp4a") { w in
            w.append(repeatElement(UInt8(0), count: 6))
            w.u16(1)  // data_reference_index
            w.u64(0)  // reserved
            w.u16(UInt16(clamping: channels))
            w.u16(16)  // samplesize
            w.u32(0)  // pre_defined, reserved
            // 16.16 fixed point; a rate past 65535 Hz does not fit (the esds has it for AAC).
            w.u32(rate <= 0xFFFF ? UInt32(rate) << 16 : 0)
            w.fullBox("esds") { w in Self.elementaryStreamDescriptor(&w, objectType: objectType, specificConfig: specificConfig) }
        }
    }

    /// ES_Descriptor (ISO/IEC 14496-1 7.2.6.5): ES_ID 0, a DecoderConfigDescriptor of the
    /// audio stream with its DecoderSpecificInfo (when not empty), SLConfigDescriptor 2 (MP4).
    private static func elementaryStreamDescriptor(_ w: inout ByteWriter, objectType: UInt8, specificConfig: [UInt8]) {
        var decoderConfig = ByteWriter(capacity: 32)
        decoderConfig.u8(objectType)
        decoderConfig.u8(0x15)  // streamType 5 (audio) << 2, upStream 0, reserved 1
        decoderConfig.u24(0)  // bufferSizeDB
        decoderConfig.u32(0)  // maxBitrate
        decoderConfig.u32(0)  // avgBitrate
        if !specificConfig.isEmpty { descriptor(&decoderConfig, tag: 0x05, specificConfig) }
        var es = ByteWriter(capacity: 48)
        es.u16(0)  // ES_ID
        es.u8(0)  // no dependsOn, URL, OCR; priority 0
        descriptor(&es, tag: 0x04, decoderConfig.bytes)
        descriptor(&es, tag: 0x06, [0x02])
        descriptor(&w, tag: 0x03, es.bytes)
    }

    /// A descriptor: tag, size in 7-bit groups (4 bytes, as ffmpeg and SRS write), body.
    private static func descriptor(_ w: inout ByteWriter, tag: UInt8, _ body: [UInt8]) {
        w.u8(tag)
        let size = UInt32(clamping: body.count)
        w.u8(UInt8(0x80 | (size >> 21) & 0x7F))
        w.u8(UInt8(0x80 | (size >> 14) & 0x7F))
        w.u8(UInt8(0x80 | (size >> 7) & 0x7F))
        w.u8(UInt8(size & 0x7F))
        w.append(body)
    }
}
