import XCTest
@testable import System

/// The ring of buffers a socket has yet to write.
final class SendQueueTests: XCTestCase {
    func buffers(_ q: borrowing SendQueue) -> [UInt8] { (0..<q.count).map { q[$0].bytes[0] } }

    func testFIFOAcrossWrapAndGrowth() {
        var q = SendQueue()
        var model: [UInt8] = []
        var next: UInt8 = 0
        // Pushes and pops interleaved so the ring wraps, then grows while wrapped.
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 1) {
                q.append(SharedBytes([next]))
                model.append(next)
                next &+= 1
            }
            for _ in 0..<(round % 5) where !model.isEmpty {
                XCTAssertEqual(q[0].bytes[0], model.removeFirst())
                q.removeFirst()
            }
            XCTAssertEqual(buffers(q), model, "round \(round)")
        }
        q.removeLast(3)
        model.removeLast(3)
        XCTAssertEqual(buffers(q), model)
        q.removeAll()
        XCTAssertTrue(q.isEmpty)
        q.append(SharedBytes([7]))
        XCTAssertEqual(buffers(q), [7])
    }

    /// After a backlog (a ring grown past 1024 buffers) an emptied queue gives the memory back
    /// and keeps working.
    func testLargeRingShrinksWhenEmptied() {
        var q = SendQueue()
        for i in 0..<3000 { q.append(SharedBytes([UInt8(i % 256)])) }
        for _ in 0..<1000 { q.removeFirst() }
        XCTAssertEqual(q.count, 2000)
        XCTAssertEqual(q[0].bytes[0], UInt8(1000 % 256))
        q.removeAll()
        XCTAssertTrue(q.isEmpty)
        for i in 0..<20 { q.append(SharedBytes([UInt8(i)])) }
        XCTAssertEqual(buffers(q), (0..<20).map { UInt8($0) })
    }

    func testBuffersAreReleasedWhenRemovedAndWithTheQueue() {
        weak var kept: SharedBytes?
        weak var removed: SharedBytes?
        do {
            var q = SendQueue()
            do {
                let a = SharedBytes([1])
                let b = SharedBytes([2])
                removed = a
                kept = b
                q.append(a)
                q.append(b)
            }
            q.removeFirst()
            XCTAssertNil(removed, "a removed buffer is released")
            XCTAssertNotNil(kept)
            _ = q.count
        }
        XCTAssertNil(kept, "the queue releases what it holds when it goes")
    }
}
