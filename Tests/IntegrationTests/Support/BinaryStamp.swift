import Foundation

/// Makes a second "release" of the built `srs` without a second build: the release string is
/// one C string in the binary (`SwiftSRS-release:1.0.0:`), replaced here by another of the same
/// length. Used to test hot upgrades from one version to another.
enum BinaryStamp {
    static func copy(_ source: String, to target: String, version: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: source))
        let old = Data("SwiftSRS-release:".utf8)
        guard let r = data.range(of: old) else { throw TestError("no release stamp in \(source)") }
        let start = r.upperBound
        guard let end = data[start...].firstIndex(of: UInt8(ascii: ":")), end - start == version.utf8.count else {
            throw TestError("release stamp of \(source) does not fit \(version)")
        }
        data.replaceSubrange(start..<end, with: Data(version.utf8))
        let tmp = target + ".tmp"
        try data.write(to: URL(fileURLWithPath: tmp))
        chmod(tmp, 0o755)
        // Replace atomically, as a package manager does: the running binary keeps its old inode.
        guard rename(tmp, target) == 0 else { throw TestError("rename \(tmp) failed") }
    }
}
