import XCTest
@testable import System

final class ContainerDetectorTests: XCTestCase {
    private func detector(cgroup: String?, files: Set<String> = [], env: [String: String] = [:]) -> ContainerDetector {
        ContainerDetector(readFile: { $0 == "/proc/1/cgroup" ? cgroup : nil }, exists: { files.contains($0) }, environment: env)
    }

    func testHostCgroupV1AndV2AreNotContainers() {
        XCTAssertNil(detector(cgroup: "12:pids:/init.scope\n1:name=systemd:/init.scope\n").detect())
        XCTAssertNil(detector(cgroup: "0::/init.scope\n").detect())
        XCTAssertNil(detector(cgroup: nil).detect())
    }

    func testDockerCgroupV1() {
        XCTAssertNotNil(detector(cgroup: "12:pids:/docker/05181e679dc0\n").detect())
    }

    func testKubernetesAndContainerdCgroups() {
        XCTAssertNotNil(detector(cgroup: "11:memory:/kubepods/besteffort/pod1234/abcd\n").detect())
        XCTAssertNotNil(detector(cgroup: "0::/system.slice/containerd.service\n").detect())
    }

    func testCgroupV2NamespaceRoot() {
        XCTAssertNotNil(detector(cgroup: "0::/\n").detect())
    }

    func testMarkerFilesAndEnvironment() {
        XCTAssertNotNil(detector(cgroup: "0::/init.scope", files: ["/.dockerenv"]).detect())
        XCTAssertNotNil(detector(cgroup: "0::/init.scope", files: ["/run/.containerenv"]).detect())
        XCTAssertNotNil(detector(cgroup: "0::/init.scope", env: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"]).detect())
    }
}
