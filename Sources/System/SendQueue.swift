/// The buffers a `StreamSocket` has yet to write, oldest first: a ring that grows by doubling.
/// Not an `Array`: a player's socket queues and writes a buffer per batch, and an array's
/// append and removal pay a uniqueness check (a runtime call) each time; this cannot be shared,
/// so it needs none.
struct SendQueue: ~Copyable {
    private var storage: UnsafeMutablePointer<SharedBytes>
    private var capacity: Int
    /// Where the oldest buffer is in `storage`.
    private var start = 0
    private(set) var count = 0

    /// Capacity kept after the queue empties; a larger ring (after a backlog) is given back.
    private static let smallCapacity = 8

    init() {
        capacity = Self.smallCapacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        for i in 0..<count { (storage + slot(i)).deinitialize(count: 1) }
        storage.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    private func slot(_ i: Int) -> Int { (start + i) & (capacity - 1) }

    /// The `i`th oldest buffer.
    subscript(i: Int) -> SharedBytes { storage[slot(i)] }

    mutating func append(_ b: SharedBytes) {
        if count == capacity { resize(to: capacity * 2) }
        (storage + slot(count)).initialize(to: b)
        count += 1
    }

    /// Removes the oldest buffer.
    mutating func removeFirst() {
        assert(count > 0, "removeFirst on an empty SendQueue")
        (storage + start).deinitialize(count: 1)
        start = (start + 1) & (capacity - 1)
        count -= 1
    }

    /// Removes the newest `n` buffers.
    mutating func removeLast(_ n: Int) {
        assert(n <= count, "removeLast(\(n)) on a SendQueue of \(count)")
        for _ in 0..<n {
            count -= 1
            (storage + slot(count)).deinitialize(count: 1)
        }
    }

    mutating func removeAll() {
        removeLast(count)
        start = 0
        if capacity > 1024 { resize(to: Self.smallCapacity) }
    }

    private mutating func resize(to newCapacity: Int) {
        assert(newCapacity >= count && newCapacity & (newCapacity - 1) == 0)
        let moved = UnsafeMutablePointer<SharedBytes>.allocate(capacity: newCapacity)
        for i in 0..<count { (moved + i).moveInitialize(from: storage + slot(i), count: 1) }
        storage.deallocate()
        storage = moved
        capacity = newCapacity
        start = 0
    }
}
