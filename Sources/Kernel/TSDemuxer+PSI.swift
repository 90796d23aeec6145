/// Program specific information: the PAT (2.4.4.3) names the PMT's PID, the PMT (2.4.4.8) the
/// elementary streams. Only the first program is followed (SRT and UDP encoders send one).
extension TSDemuxer {
    /// A PAT or PMT section is at most 1024 bytes: section_length is at most 1021 (2.4.4.4).
    static let maxSectionBytes = 1024
    /// More streams than any encoder sends; the rest of a PMT is ignored.
    static let maxStreams = 32

    /// The bytes of a section (or several) being assembled on one PID.
    struct SectionBuffer {
        var bytes: [UInt8]
    }

    /// A packet's payload on the PAT or PMT PID: with payload_unit_start_indicator it begins
    /// with pointer_field, the number of bytes that end the section in progress.
    mutating func handleSectionPayload(pid: UInt16, unitStart: Bool, _ payload: ArraySlice<UInt8>) {
        var data = payload
        if unitStart {
            guard let pointer = data.first.map(Int.init) else { return }
            data = data.dropFirst()
            guard pointer <= data.count else {
                if sections.removeValue(forKey: pid) != nil { counters.droppedSections += 1 }
                return
            }
            if var pending = sections.removeValue(forKey: pid) {
                pending.bytes += data.prefix(pointer)
                sections[pid] = pending
                completeSections(pid: pid)
                if sections.removeValue(forKey: pid) != nil { counters.droppedSections += 1 }
            }
            sections[pid] = SectionBuffer(bytes: Array(data.dropFirst(pointer)))
        } else {
            // A continuation without a section in progress belongs to one we never saw start.
            guard var pending = sections.removeValue(forKey: pid) else { return }
            pending.bytes += data
            sections[pid] = pending
        }
        completeSections(pid: pid)
    }

    /// Takes every complete section from the front of the PID's buffer; keeps a partial one.
    private mutating func completeSections(pid: UInt16) {
        guard var buffer = sections.removeValue(forKey: pid)?.bytes else { return }
        var start = 0
        while start < buffer.count, buffer[start] != 0xFF {  // 0xFF: stuffing, the rest is padding
            guard buffer.count - start >= 3 else { break }
            let length = 3 + (Int(buffer[start + 1] & 0x0F) << 8 | Int(buffer[start + 2]))
            guard length <= Self.maxSectionBytes else {
                counters.droppedSections += 1
                return
            }
            guard buffer.count - start >= length else { break }
            handleSection(pid: pid, buffer[start..<(start + length)])
            start += length
        }
        guard start < buffer.count, buffer[start] != 0xFF else { return }
        buffer.removeFirst(start)
        if buffer.count > Self.maxSectionBytes {
            counters.droppedSections += 1
            return
        }
        sections[pid] = SectionBuffer(bytes: buffer)
    }

    /// One whole section: checks syntax and CRC, then reads a PAT or a PMT.
    private mutating func handleSection(pid: UInt16, _ section: ArraySlice<UInt8>) {
        let s = section.startIndex
        // table_id, flags+length (2), table_id_extension (2), version (1), section numbers (2), CRC (4).
        guard section.count >= 12, section[s + 1] & 0x80 != 0, CRC32MPEG2.checksum(section) == 0 else {
            counters.droppedSections += 1
            return
        }
        guard section[s + 5] & 0x01 != 0 else { return }  // current_next_indicator 0: not yet valid
        let tableID = section[s]
        let body = section[(s + 8)..<(section.endIndex - 4)]
        if pid == 0 && tableID == 0x00 {
            readPAT(body)
        } else if pid == pmtPID && tableID == 0x02 {
            readPMT(body)
        }
    }

    /// program_number (16), reserved (3), PID (13) per program; number 0 is the network PID.
    private mutating func readPAT(_ body: ArraySlice<UInt8>) {
        var i = body.startIndex
        while body.endIndex - i >= 4 {
            let program = UInt16(body[i]) << 8 | UInt16(body[i + 1])
            let pid = UInt16(body[i + 2] & 0x1F) << 8 | UInt16(body[i + 3])
            i += 4
            guard program != 0 else { continue }
            if pid != pmtPID {
                if let old = pmtPID { sections.removeValue(forKey: old) }
                pmtPID = pid
            }
            return
        }
    }

    /// PCR_PID, program_info_length and its descriptors, then per stream: stream_type,
    /// elementary_PID, ES_info_length and its descriptors.
    private mutating func readPMT(_ body: ArraySlice<UInt8>) {
        guard body.count >= 4 else {
            counters.droppedSections += 1
            return
        }
        let s = body.startIndex
        let programInfoLength = Int(body[s + 2] & 0x0F) << 8 | Int(body[s + 3])
        var i = s + 4 + programInfoLength
        var found: [TSElementaryStream] = []
        while body.endIndex - i >= 5, found.count < Self.maxStreams {
            let type = body[i]
            let pid = UInt16(body[i + 1] & 0x1F) << 8 | UInt16(body[i + 2])
            let infoLength = Int(body[i + 3] & 0x0F) << 8 | Int(body[i + 4])
            i += 5 + infoLength
            guard i <= body.endIndex else { break }  // descriptors run past the section: ignore the entry
            if pid != 0, pid != 0x1FFF, pid != pmtPID, !found.contains(where: { $0.pid == pid }) {
                found.append(TSElementaryStream(pid: pid, streamType: type))
            }
        }
        guard found != streams else { return }
        for pid in assemblies.keys where !found.contains(where: { $0.pid == pid && $0.streamType == streamType(of: pid) }) {
            assemblies.removeValue(forKey: pid)
        }
        streams = found
        events.append(.program(found))
    }

    private func streamType(of pid: UInt16) -> UInt8? {
        streams.first(where: { $0.pid == pid })?.streamType
    }
}
