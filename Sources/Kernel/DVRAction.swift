/// A recording file: where it ends up and the name it is written under until then.
public struct DVRFile: Equatable, Sendable {
    /// The rendered `dvr_path` (with `[duration]` still in it if the template has it).
    public var path: String
    /// `path` + `.tmp`: the name while the file is written (SRS's `SrsFragment::tmppath`).
    public var temporaryPath: String

    public init(path: String) {
        self.path = path
        temporaryPath = path + ".tmp"
    }
}

/// What a `DVRRecorder` asks its adapter to do, in order. Every file operation can fail: the
/// adapter then skips the rest of the list and reports it with `DVRRecorder.fileFailed(_:)`.
/// `close`, `discard` and `abandon` close the adapter's file descriptor before anything else,
/// so it is closed even when the rename or removal fails.
public enum DVRAction: Equatable, Sendable {
    /// Refuse if `path` exists (SRS: "DVR can't append to exists path"); create the parent
    /// directories of `temporaryPath`; create it (truncating a stale one) for writing.
    case open(DVRFile)
    /// Append to the open file.
    case write([UInt8])
    /// Write over the open file at an offset (fields only known at the end).
    case patch(FilePatch)
    /// Close the file and rename `temporaryPath` to `path` (which has `[duration]` filled in).
    case close(DVRFile, path: String)
    /// Close the file and remove it: it holds nothing a player could use.
    case discard(DVRFile)
    /// Close the file and leave it under its temporary name: it cannot be completed.
    case abandon(DVRFile)
    /// The file at `path` is complete: call `http_hooks.on_dvr` (with `cwd` and `file`).
    case notify(path: String)
    /// Log this line (once per file and kind: an unrecordable codec, a refused path).
    case warning(String)
}
