/// Identifies a scheduled timer.
public struct TimerID: Hashable, Sendable {
    public let raw: UInt64
}

/// A min-heap of deadlines. Cancelled timers are dropped lazily when they reach the top.
struct TimerQueue {
    private var heap: [(deadline: Int64, id: UInt64)] = []
    private var callbacks: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    var nextDeadline: Int64? {
        mutating get {
            while let top = heap.first, callbacks[top.id] == nil { popTop() }
            return heap.first?.deadline
        }
    }

    mutating func add(deadline: Int64, _ fn: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        callbacks[id] = fn
        heap.append((deadline, id))
        siftUp(heap.count - 1)
        return TimerID(raw: id)
    }

    mutating func cancel(_ id: TimerID) { callbacks[id.raw] = nil }

    /// Removes from the heap every timer whose deadline is ≤ now and returns their ids. The caller
    /// takes each callback with `take` just before running it, so a callback may schedule or cancel
    /// timers (even one due in the same round) without overlapping access.
    mutating func popDue(now: Int64) -> [UInt64] {
        var due: [UInt64] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if callbacks[top.id] != nil { due.append(top.id) }
        }
        return due
    }

    /// The callback of a due timer, unless it was cancelled meanwhile.
    mutating func take(_ id: UInt64) -> (() -> Void)? { callbacks.removeValue(forKey: id) }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ i0: Int) {
        var i = i0
        while i > 0 {
            let p = (i - 1) / 2
            if heap[p].deadline <= heap[i].deadline { break }
            heap.swapAt(p, i)
            i = p
        }
    }

    private mutating func siftDown(_ i0: Int) {
        var i = i0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { break }
            heap.swapAt(m, i)
            i = m
        }
    }
}
