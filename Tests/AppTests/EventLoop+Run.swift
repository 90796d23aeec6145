import System

extension EventLoop {
    /// Runs the loop until `done()` holds or `timeoutMs` of wall-clock time passed; false on
    /// timeout. I/O is real; on a `ManualClock` the loop's time moves only when the test moves it.
    func run(timeoutMs: Int64, until done: () -> Bool) -> Bool {
        let deadline = Clock.monotonicMs() + timeoutMs
        while Clock.monotonicMs() < deadline {
            runOnce(maxWaitMs: 10)
            if done() { return true }
        }
        return done()
    }
}
