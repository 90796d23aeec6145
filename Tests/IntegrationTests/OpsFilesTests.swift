import Foundation
import XCTest

/// The deployment files checked by the Python tools with the built binary: the Kubernetes
/// manifests (tools/validate_k8s.py) and the Dockerfile, init.d symlink and systemd unit
/// (tools/check_ops_files.py). python3 runs through PATH, where tools/test.sh installed
/// kubernetes-validate.
final class OpsFilesTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private func python(_ args: [String], timeout: TimeInterval) throws -> (Int32?, String) {
        try Tool.run("/usr/bin/env", ["python3"] + args, timeout: timeout)
    }

    private func skipWithoutPython() throws {
        let (status, _) = try python(["-c", "pass"], timeout: 30)
        try XCTSkipUnless(status == 0, "python3 is not installed")
    }

    /// Every manifest validates against the Kubernetes schema (strict), every embedded srs.conf
    /// passes `srs -t` without warnings, and the cross-checks hold (probes, preStop grace budget,
    /// selectors, references, the cleanup CronJob's script).
    func testKubernetesManifests() throws {
        try skipWithoutPython()
        let (module, _) = try python(["-c", "import kubernetes_validate"], timeout: 30)
        try XCTSkipUnless(module == 0, "PyPI kubernetes-validate is not installed (tools/test.sh installs it)")
        let script = Self.repo.appendingPathComponent("tools/validate_k8s.py").path
        let (status, output) = try python([script, SRSBinary.path], timeout: 120)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("srs.conf,") && output.contains(" 0 failed"), output)
    }

    /// The Dockerfile's COPY sources, CMD config and HEALTHCHECK port fit the repository (no
    /// Docker engine here to build it), init.d/srs is linked from etc/init.d/srs, and the
    /// systemd unit verifies.
    func testDockerfileInitScriptAndSystemdUnit() throws {
        try skipWithoutPython()
        let script = Self.repo.appendingPathComponent("tools/check_ops_files.py").path
        let (status, output) = try python([script, SRSBinary.path], timeout: 120)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("check_ops_files: 0 failed"), output)
    }
}
