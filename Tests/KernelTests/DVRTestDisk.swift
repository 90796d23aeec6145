import Foundation
import XCTest
@testable import Kernel

/// The adapter of the DVR tests: performs `DVRAction`s on an in-memory disk, as the App's
/// adapter does on the real one, and records what it was asked.
struct DVRTestDisk {
    /// Files by path (complete ones under their final names, open ones under `.tmp` names).
    var files: [String: [UInt8]] = [:]
    /// The temporary path of the open file.
    var open: String?
    var notified: [String] = []
    var warnings: [String] = []
    var opened: [DVRFile] = []
    var actions: [DVRAction] = []

    /// Performs `actions`; on a failure stops and reports it to `recorder`, then performs
    /// what it answers (once, as the App does).
    mutating func perform(_ actions: [DVRAction], _ recorder: inout DVRRecorder) {
        if let failed = apply(actions) {
            _ = apply(recorder.fileFailed(failed))
            open = nil
        }
    }

    /// The first action that fails, if any.
    private mutating func apply(_ list: [DVRAction]) -> DVRAction? {
        for action in list {
            if !apply(action) { return action }
        }
        return nil
    }

    /// False when the action fails.
    private mutating func apply(_ action: DVRAction) -> Bool {
        actions.append(action)
        switch action {
        case .open(let file):
            guard files[file.path] == nil else { return false }
            opened.append(file)
            files[file.temporaryPath] = []
            open = file.temporaryPath
        case .write(let bytes):
            guard let path = open else { return false }
            files[path]! += bytes
        case .patch(let patch):
            guard let path = open, Int(patch.offset) + patch.bytes.count <= files[path]!.count else { return false }
            files[path]!.replaceSubrange(Int(patch.offset)..<(Int(patch.offset) + patch.bytes.count), with: patch.bytes)
        case .close(let file, let path):
            open = nil
            guard let bytes = files.removeValue(forKey: file.temporaryPath) else { return false }
            files[path] = bytes
        case .discard(let file):
            open = nil
            files[file.temporaryPath] = nil
        case .abandon:
            open = nil
        case .notify(let path):
            notified.append(path)
        case .warning(let line):
            warnings.append(line)
        }
        return true
    }

    /// Writes the complete files into `dir` (flattened names), returns their paths in the order
    /// they were notified.
    func export(to dir: URL) throws -> [String] {
        try notified.enumerated().map { i, path in
            let out = dir.appendingPathComponent("\(i)-" + (path.split(separator: "/").last.map(String.init) ?? "file"))
            try Data(files[path] ?? []).write(to: out)
            return out.path
        }
    }
}

extension DVRRecorder {
    /// Feeds FLV tags as a publisher's messages, performing the actions on `disk`.
    mutating func feed(_ tags: [FLVTag], _ disk: inout DVRTestDisk) {
        for tag in tags {
            switch tag.type {
            case FLVTagType.video: disk.perform(video(timestamp: tag.timestamp, payload: tag.payload), &self)
            case FLVTagType.audio: disk.perform(audio(timestamp: tag.timestamp, payload: tag.payload), &self)
            case FLVTagType.script: disk.perform(metadata(tag.payload), &self)
            default: break
            }
        }
    }
}

/// A fixed calendar time: 2015-01-03 10:57:30.776 (SRS's documentation example).
let dvrTestTime = CalendarTime(epochMs: 1_420_254_068_776, year: 2015, month: 1, day: 3, hour: 10, minute: 57, second: 30,
                               millisecond: 776)
