import System

/// The file writes of an HLS writer: the disk, or in tests a disk that fails on demand.
struct HLSStorage {
    /// mkdir -p.
    var makeDirectories: (String) throws -> Void
    /// Writes a whole file so a reader never sees it partial; on failure nothing is left behind.
    var writeAtomically: (String, [UInt8]) throws -> Void
    /// Appends to a file, creating it (a segment grows under its temp name as the stream goes).
    var append: (String, [UInt8]) throws -> Void
    /// Gives a finished file its name.
    var rename: (String, String) throws -> Void
    /// Removes a file (a failed segment's temp file); never fails.
    var remove: (String) -> Void

    /// The real file system.
    static var disk: HLSStorage {
        HLSStorage(makeDirectories: { try FileSystem.makeDirectories($0) },
                   writeAtomically: { try FileSystem.writeAtomically($0, $1) },
                   append: { try FileSystem.append($0, $1) },
                   rename: { try FileSystem.rename($0, to: $1) },
                   remove: { FileSystem.remove($0) })
    }
}
