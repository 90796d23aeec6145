import Core
import Kernel
import Protocol
import System

/// Records one published stream (`dvr { enabled on; }`): a live consumer that feeds the
/// stream's messages to Kernel's `DVRRecorder` and performs the actions it returns, on one file
/// at a time: open under `.tmp`, append, patch, close and rename, then `on_dvr` (see
/// docs/dvr.md). Writes are synchronous on the loop, in blocks of 64 KiB, as HLS's are.
///
/// After a failed syscall (logged once, with the call and the path) the recorder ends the file
/// as well as it can and records nothing more until the publish ends.
final class DVRWriter: LiveConsumer {
    let key: StreamKey
    /// The publisher's context id (on_dvr is about its publish).
    let cid: String
    private var recorder: DVRRecorder
    private var file: WritableFile?
    /// A file is complete under its final name (on_dvr).
    var onFileClosed: ((_ path: String) -> Void)?

    init(key: StreamKey, config: DVRConfig, utcTime: Bool, cid: String) {
        self.key = key
        self.cid = cid
        recorder = DVRRecorder(config: config, names: .init(vhost: key.vhost, app: key.app, stream: key.stream),
                               clock: { Clock.calendarTime(utc: utcTime) })
    }

    var config: DVRConfig { recorder.config }
    /// The file being written (its temporary name), for logs and the API.
    var currentFile: DVRFile? { recorder.currentFile }

    // MARK: - LiveConsumer

    func deliver(_ m: MediaMessage) {
        if m.isData {
            perform(recorder.metadata(m.payload))
        } else if m.isVideo {
            perform(recorder.video(timestamp: m.timestamp, payload: m.payload))
        } else if m.isAudio {
            perform(recorder.audio(timestamp: m.timestamp, payload: m.payload))
        }
    }

    /// The publisher left: the file is finished (and renamed, and on_dvr sent).
    func sourceUnpublished() { finish() }

    /// Finishes the file in progress (unpublish, reload, quit). Fed again, a new file starts.
    func finish() { perform(recorder.finish()) }

    // MARK: - Actions

    private func perform(_ actions: [DVRAction]) {
        for a in actions {
            do {
                try run(a)
            } catch {
                Log.warnRepeated("dvr failed", "dvr: \(key): \(error); recording stops until the publish ends", cid: cid)
                // The recorder's answer ends the file as far as it can; its failures are not reported again.
                for b in recorder.fileFailed(a) { try? run(b) }
                try? file?.close()
                file = nil
                return
            }
        }
    }

    /// A refusal of the recorder's own kind (not a syscall).
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    private func run(_ a: DVRAction) throws {
        switch a {
        case .open(let f):
            // SRS: "DVR can't append to exists path".
            if FileSystem.exists(f.path) { throw Refused(description: "can't append to exists path \(f.path)") }
            try FileSystem.makeDirectories(FileSystem.dirname(f.temporaryPath))
            file = try WritableFile(creating: f.temporaryPath)
            Log.traceClient("dvr open", "dvr: \(key) recording to \(f.temporaryPath)", cid: cid)
        case .write(let bytes):
            guard let file else { throw Refused(description: "no file open") }
            try file.write(bytes)
        case .patch(let p):
            guard let file else { throw Refused(description: "no file open") }
            try file.write(p.bytes, at: p.offset)
        case .close(let f, let path):
            let open = file
            file = nil
            try open?.close()
            try FileSystem.move(f.temporaryPath, to: path)
            Log.traceClient("dvr close", "dvr: \(key) closed \(path)", cid: cid)
        case .discard(let f):
            let open = file
            file = nil
            try? open?.close()
            FileSystem.remove(f.temporaryPath)
        case .abandon(let f):
            let open = file
            file = nil
            try? open?.close()
            Log.warnRepeated("dvr abandon", "dvr: \(key) left \(f.temporaryPath) unfinished", cid: cid)
        case .notify(let path):
            onFileClosed?(path)
        case .warning(let text):
            Log.warnRepeated("dvr warning", "dvr: \(key): \(text)", cid: cid)
        }
    }
}
