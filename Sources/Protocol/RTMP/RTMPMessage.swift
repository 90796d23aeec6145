import Kernel

/// RTMP message type ids (RTMP spec §5.4, §7.1).
public enum RTMPMessageType {
    public static let setChunkSize: UInt8 = 1
    public static let abort: UInt8 = 2
    public static let acknowledgement: UInt8 = 3
    public static let userControl: UInt8 = 4
    public static let windowAckSize: UInt8 = 5
    public static let setPeerBandwidth: UInt8 = 6
    public static let audio: UInt8 = 8
    public static let video: UInt8 = 9
    public static let amf3Data: UInt8 = 15
    public static let amf3Command: UInt8 = 17
    public static let amf0Data: UInt8 = 18
    public static let amf0Command: UInt8 = 20
    public static let aggregate: UInt8 = 22
}

/// Chunk stream ids we send on, as SRS does.
public enum RTMPChunkStreamID {
    public static let protocolControl: UInt32 = 2
    public static let command: UInt32 = 3
    public static let streamData: UInt32 = 5
    public static let video: UInt32 = 6
    public static let audio: UInt32 = 7
}

/// One reassembled RTMP message.
public struct RTMPMessage: Equatable, Sendable {
    public var type: UInt8
    public var streamID: UInt32
    /// Absolute timestamp in milliseconds (32-bit, wraps).
    public var timestamp: UInt32
    /// The chunk stream it arrived on (or is sent on).
    public var chunkStreamID: UInt32
    public var payload: [UInt8]

    public init(type: UInt8, streamID: UInt32 = 0, timestamp: UInt32 = 0, chunkStreamID: UInt32 = 3, payload: [UInt8]) {
        self.type = type
        self.streamID = streamID
        self.timestamp = timestamp
        self.chunkStreamID = chunkStreamID
        self.payload = payload
    }

    public var isMedia: Bool { type == RTMPMessageType.audio || type == RTMPMessageType.video }
}

/// Builders for protocol control and user control messages.
public enum RTMPControl {
    public static func setChunkSize(_ size: UInt32) -> RTMPMessage {
        var w = ByteWriter(capacity: 4)
        w.u32(size & 0x7FFF_FFFF)
        return RTMPMessage(type: RTMPMessageType.setChunkSize, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes)
    }

    public static func windowAckSize(_ size: UInt32) -> RTMPMessage {
        var w = ByteWriter(capacity: 4)
        w.u32(size)
        return RTMPMessage(type: RTMPMessageType.windowAckSize, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes)
    }

    public static func acknowledgement(_ sequence: UInt32) -> RTMPMessage {
        var w = ByteWriter(capacity: 4)
        w.u32(sequence)
        return RTMPMessage(type: RTMPMessageType.acknowledgement, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes)
    }

    /// limitType: 0 hard, 1 soft, 2 dynamic.
    public static func setPeerBandwidth(_ size: UInt32, limitType: UInt8) -> RTMPMessage {
        var w = ByteWriter(capacity: 5)
        w.u32(size)
        w.u8(limitType)
        return RTMPMessage(type: RTMPMessageType.setPeerBandwidth, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes)
    }

    /// User control events: 0 StreamBegin, 1 StreamEOF, 2 StreamDry, 4 StreamIsRecorded, 6 PingRequest, 7 PingResponse.
    public static func userControl(event: UInt16, value: UInt32) -> RTMPMessage {
        var w = ByteWriter(capacity: 6)
        w.u16(event)
        w.u32(value)
        return RTMPMessage(type: RTMPMessageType.userControl, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes)
    }

    public static let streamBegin: UInt16 = 0
    public static let streamEOF: UInt16 = 1
    public static let pingRequest: UInt16 = 6
    public static let pingResponse: UInt16 = 7
    public static let setBufferLength: UInt16 = 3
}
