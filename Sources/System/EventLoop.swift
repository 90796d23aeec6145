import CSystem
import Glibc

/// A single-threaded epoll reactor with timers and end-of-iteration tasks. One per worker; all
/// media state lives on its thread, so the media path takes no locks.
///
/// Each registration gets an id packed with the fd into epoll's user data, so an event for a
/// closed-and-reused fd number is recognised as stale and ignored (as swift-nio does).
public final class EventLoop {
    public typealias Handler = (_ events: UInt32) -> Void

    public static let readable = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue)
    public static let writable = UInt32(EPOLLOUT.rawValue)
    public static let hangup = UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)

    private struct Registration {
        var id: UInt32
        var events: UInt32
        var handler: Handler
    }

    private let epoll: FileDescriptor
    private var epfd: Int32 { epoll.rawValue }
    private var registrations: [Int32: Registration] = [:]
    private var nextRegistrationID: UInt32 = 1
    private var timers = TimerQueue()
    private var soon: [() -> Void] = []
    /// Objects to call at the end of the iteration (`flushSoon`): no closure per call.
    private var soonTasks: [LoopTask] = []
    private var runningTasks: [LoopTask] = []
    private var runningSoon: [() -> Void] = []
    private var running = false
    private var events = [UInt32](repeating: 0, count: 256)
    private var eventData = [UInt64](repeating: 0, count: 256)
    /// Where the time comes from (the monotonic clock, or a test's `ManualClock`).
    public let clock: LoopClock
    /// Milliseconds on `clock`, refreshed once per iteration (before and after the wait).
    public private(set) var now: Int64

    public init(clock: LoopClock = MonotonicClock.shared) throws {
        self.clock = clock
        now = clock.nowMs
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        if fd < 0 { throw SystemError("epoll_create1") }
        epoll = FileDescriptor(adopting: fd)
    }

    /// Watches `fd` for `events`; the handler runs on this loop with the events that fired.
    public func register(fd: Int32, events: UInt32, handler: @escaping Handler) throws {
        let id = nextRegistrationID
        nextRegistrationID &+= 1
        if csys_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, events, Self.pack(fd, id)) != 0 {
            throw SystemError("epoll_ctl", context: "add fd=\(fd)")
        }
        registrations[fd] = Registration(id: id, events: events, handler: handler)
    }

    /// Changes the watched events of a registered fd (no-op when unchanged).
    public func modify(fd: Int32, events: UInt32) {
        guard var r = registrations[fd], r.events != events else { return }
        r.events = events
        registrations[fd] = r
        _ = csys_epoll_ctl(epfd, EPOLL_CTL_MOD, fd, events, Self.pack(fd, r.id))
    }

    /// Stops watching `fd`. Call before closing it.
    public func unregister(fd: Int32) {
        guard registrations.removeValue(forKey: fd) != nil else { return }
        _ = csys_epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Runs `fn` once after `delayMs`. Returns an id for `cancel`.
    @discardableResult
    public func schedule(afterMs delayMs: Int64, _ fn: @escaping () -> Void) -> TimerID {
        timers.add(deadline: clock.nowMs + max(0, delayMs), fn)
    }

    /// Runs `fn` every `intervalMs` until the returned timer is cancelled.
    @discardableResult
    public func repeating(everyMs intervalMs: Int64, _ fn: @escaping () -> Void) -> RepeatingTimer {
        let t = RepeatingTimer()
        func arm() {
            t.id = schedule(afterMs: intervalMs) { [weak self, weak t] in
                guard let self, let t, !t.cancelled else { return }
                fn()
                if !t.cancelled { _ = self; arm() }
            }
        }
        arm()
        t.cancelAction = { [weak self] id in self?.cancel(id) }
        return t
    }

    public func cancel(_ id: TimerID) { timers.cancel(id) }

    /// Runs `fn` at the end of this loop iteration, after all ready I/O was handled (used to
    /// batch writes: a publisher's burst becomes one writev per player).
    public func runSoon(_ fn: @escaping () -> Void) { soon.append(fn) }

    /// Calls `task.runLoopTask()` at the end of this iteration, like `runSoon` without allocating
    /// a closure (the write path schedules one per socket per iteration).
    public func runSoon(_ task: LoopTask) { soonTasks.append(task) }

    /// Runs until `stop()`.
    public func run() {
        running = true
        while running { runOnce(maxWaitMs: 1000) }
    }

    /// One iteration: waits for I/O at most `maxWaitMs` and no longer than the next timer (not
    /// at all when end-of-iteration tasks are pending; 0: only what is ready), handles it, runs
    /// the timers due on `clock`, then the end-of-iteration tasks. Tests with a `ManualClock`
    /// advance the clock and call this.
    public func runOnce(maxWaitMs: Int32 = 0) {
        now = clock.nowMs
        var waitMs = soon.isEmpty && soonTasks.isEmpty ? max(0, maxWaitMs) : 0
        if let next = timers.nextDeadline {
            waitMs = min(waitMs, Int32(clamping: max(0, next - now)))
        }
        let n = events.withUnsafeMutableBufferPointer { e in
            eventData.withUnsafeMutableBufferPointer { d in
                csys_epoll_wait(epfd, e.baseAddress, d.baseAddress, Int32(e.count), waitMs)
            }
        }
        now = clock.nowMs
        if n < 0 && errno != EINTR {
            // epoll_wait only fails on programming errors (EBADF/EINVAL); do not spin.
            usleep(10_000)
        }
        if n > 0 {
            for i in 0..<Int(n) {
                let (fd, id) = Self.unpack(eventData[i])
                guard let r = registrations[fd], r.id == id else { continue }
                r.handler(events[i])
            }
        }
        for id in timers.popDue(now: now) {
            if let fn = timers.take(id) { fn() }
        }
        runSoonTasks()
    }

    private func runSoonTasks() {
        // Tasks may enqueue more tasks; bound the rounds so a loop of re-arming cannot starve I/O.
        var rounds = 0
        while (!soon.isEmpty || !soonTasks.isEmpty) && rounds < 8 {
            // Swap with spare arrays: no copy, no allocation per iteration.
            swap(&runningTasks, &soonTasks)
            for t in runningTasks { t.runLoopTask() }
            runningTasks.removeAll(keepingCapacity: true)
            swap(&runningSoon, &soon)
            for fn in runningSoon { fn() }
            runningSoon.removeAll(keepingCapacity: true)
            rounds += 1
        }
    }

    public func stop() { running = false }

    private static func pack(_ fd: Int32, _ id: UInt32) -> UInt64 { UInt64(id) << 32 | UInt64(UInt32(bitPattern: fd)) }
    private static func unpack(_ v: UInt64) -> (Int32, UInt32) {
        (Int32(bitPattern: UInt32(truncatingIfNeeded: v)), UInt32(truncatingIfNeeded: v >> 32))
    }
}

/// Work an object schedules with `EventLoop.runSoon(_:)`.
public protocol LoopTask: AnyObject {
    func runLoopTask()
}

/// Cancels a repeating timer.
public final class RepeatingTimer {
    fileprivate var id: TimerID = TimerID(raw: 0)
    fileprivate var cancelled = false
    fileprivate var cancelAction: ((TimerID) -> Void)?

    public func cancel() {
        cancelled = true
        cancelAction?(id)
    }
}
