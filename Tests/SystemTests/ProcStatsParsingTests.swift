import XCTest
@testable import System

/// The /proc parsers behind SRS's system figures, fed with text as the kernel writes it.
final class ProcStatsParsingTests: XCTestCase {
    func testMemInfo() {
        let m = ProcStats.parseMemInfo("MemTotal:       24731400 kB\nMemFree:        19320152 kB\nSwapTotal:             0 kB\nHugePages_Total:       0\n")
        XCTAssertEqual(m["MemTotal"], 24_731_400)
        XCTAssertEqual(m["MemFree"], 19_320_152)
        XCTAssertEqual(m["SwapTotal"], 0)
        XCTAssertEqual(m["HugePages_Total"], 0)
    }

    func testStatKeepsACommandWithSpacesAndParentheses() {
        let (comm, fields) = ProcStats.parseStat("4497 (srs: worker (x)) S 4495 4490 20346 0 -1 4194560 619 0\n")
        XCTAssertEqual(comm, "(srs: worker (x))")
        XCTAssertEqual(Array(fields.prefix(3)), ["S", "4495", "4490"])
        XCTAssertEqual(fields.last, "0")
        XCTAssertEqual(ProcStats.parseStat("garbage").fields, [])
    }

    func testSocketCountsAsSRS() {
        let sockstat = """
            sockets: used 180
            TCP: inuse 7 orphan 0 tw 3 alloc 10 mem 2
            UDP: inuse 4 mem 1
            """
        let snmp = """
            Ip: Forwarding DefaultTTL
            Ip: 1 64
            Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs
            Tcp: 1 200 120000 -1 100 50 0 2 6 9999
            """
        let c = ProcStats.parseSocketCounts(sockstat: sockstat, snmp: snmp)
        XCTAssertEqual(c.sys, 13, "alloc + tw, as SRS's conn_sys")
        XCTAssertEqual(c.established, 6)
        XCTAssertEqual(c.timeWait, 3)
        XCTAssertEqual(c.udp, 4)
    }

    func testNetworkBytesLeaveOutLoopback() {
        let dev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo: 5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0
              eth0: 1000       5    0    0    0     0          0         0     2000       6    0    0    0     0       0          0
              eth1:  100       1    0    0    0     0          0         0      200       1    0    0    0     0       0          0
            """
        let n = ProcStats.parseNetworkBytes(dev)
        XCTAssertEqual(n.recv, 1100)
        XCTAssertEqual(n.send, 2200)
    }

    func testDiskStatsCountWholeDisksOnce() {
        let text = """
             259       0 nvme0n1 100 0 800 0 50 0 400 0 0 30 0
             259       1 nvme0n1p1 90 0 700 0 40 0 300 0 0 20 0
               8       0 sda 10 0 80 0 5 0 40 0 0 7 0
               8       1 sda1 9 0 70 0 4 0 30 0 0 6 0
               7       0 loop0 1000 0 8000 0 0 0 0 0 0 100 0
             253       0 dm-0 500 0 4000 0 0 0 0 0 0 50 0
             179       0 mmcblk0 1 0 8 0 1 0 8 0 0 1 0
             179       1 mmcblk0p1 1 0 8 0 1 0 8 0 0 1 0
            """
        let d = ProcStats.parseDiskStats(text)
        XCTAssertEqual(d.readSectors, 800 + 80 + 8)
        XCTAssertEqual(d.writeSectors, 400 + 40 + 8)
        XCTAssertEqual(d.ioMs, 30 + 7 + 1)
    }
}
