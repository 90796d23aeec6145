import System

/// The file writes of an HLS writer: the disk, or in tests a disk that fails on demand.
struct HLSStorage {
    /// mkdir -p.
    var makeDirectories: (String) throws -> Void
    /// Writes a whole file so a reader never sees it partial; on failure nothing is left behind.
    var writeAtomically: (String, [UInt8]) throws -> Void

    /// The real file system.
    static var disk: HLSStorage {
        HLSStorage(makeDirectories: { try FileSystem.makeDirectories($0) },
                   writeAtomically: { try FileSystem.writeAtomically($0, $1) })
    }
}
