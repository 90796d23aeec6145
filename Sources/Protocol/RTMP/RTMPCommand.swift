import Kernel

/// An AMF0 command (`connect`, `createStream`, `publish`, `play`, `_result`, `onStatus`...):
/// name, transaction id, command object, then arguments.
public struct RTMPCommand: Equatable, Sendable {
    public var name: String
    public var transactionID: Double
    public var commandObject: AMF0Value
    public var arguments: [AMF0Value]

    public init(name: String, transactionID: Double, commandObject: AMF0Value = .null, arguments: [AMF0Value] = []) {
        self.name = name
        self.transactionID = transactionID
        self.commandObject = commandObject
        self.arguments = arguments
    }

    /// Decodes a command message payload (type 20, or type 17 whose AMF0 body follows one format byte).
    public static func decode(type: UInt8, payload: [UInt8]) throws -> RTMPCommand {
        var bytes = payload
        if type == RTMPMessageType.amf3Command, let first = bytes.first, first == 0 {
            bytes.removeFirst()
        }
        let values = try AMF0.decodeAll(bytes)
        guard let name = values.first?.stringValue else { throw RTMPError.malformed("command without a name") }
        let txn = values.count > 1 ? (values[1].numberValue ?? 0) : 0
        let obj = values.count > 2 ? values[2] : .null
        let args = values.count > 3 ? Array(values[3...]) : []
        return RTMPCommand(name: name, transactionID: txn, commandObject: obj, arguments: args)
    }

    /// The message carrying this command on `streamID`.
    public func message(streamID: UInt32 = 0, chunkStreamID: UInt32 = RTMPChunkStreamID.command) -> RTMPMessage {
        RTMPMessage(type: RTMPMessageType.amf0Command, streamID: streamID, chunkStreamID: chunkStreamID,
                    payload: AMF0.encode([.string(name), .number(transactionID), commandObject] + arguments))
    }

    /// The n-th argument's string value, if it is a string.
    public func stringArgument(_ n: Int) -> String? { n < arguments.count ? arguments[n].stringValue : nil }
}

/// The onStatus info objects SRS sends.
public enum RTMPStatus {
    public static func info(level: String = "status", code: String, description: String,
                            extra: [AMF0Property] = []) -> AMF0Value {
        .object([AMF0Property("level", .string(level)), AMF0Property("code", .string(code)),
                 AMF0Property("description", .string(description))] + extra)
    }

    /// `onStatus(null, info)` on a stream.
    public static func onStatus(streamID: UInt32, code: String, description: String, level: String = "status",
                                extra: [AMF0Property] = []) -> RTMPMessage {
        RTMPCommand(name: "onStatus", transactionID: 0, commandObject: .null,
                    arguments: [info(level: level, code: code, description: description, extra: extra)])
            .message(streamID: streamID, chunkStreamID: RTMPChunkStreamID.streamData)
    }

    /// A data message (`|RtmpSampleAccess`, `onMetaData`) on a stream.
    public static func data(streamID: UInt32, values: [AMF0Value], timestamp: UInt32 = 0) -> RTMPMessage {
        RTMPMessage(type: RTMPMessageType.amf0Data, streamID: streamID, timestamp: timestamp,
                    chunkStreamID: RTMPChunkStreamID.streamData, payload: AMF0.encode(values))
    }
}
