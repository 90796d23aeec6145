import System

/// The layout of the table of connection counts the master shares with its workers
/// (`SharedCounters`): one row per worker, claimed by the master at spawn and released at reap.
/// The worker's side of it is `ConnectionQuota` (App).
public enum ConnectionTable {
    /// The counters of a row.
    public enum Field {
        /// The worker's pid (0: free row), written by the master.
        public static let owner = 0
        /// Its client connections (relay pulls of siblings excluded).
        public static let connections = 1
        /// How many of them wait for their client (handshake, command phase, request head...).
        public static let waiting = 2
        /// Evictions other workers asked of it and it has not served yet.
        public static let evictRequests = 3
    }

    /// Rows enough for every worker of two generations and those still draining.
    public static let rows = 1024

    /// The master's side: a row for a new worker, or nil when all are taken.
    public static func claimRow(in table: SharedCounters, pid: Int32, taken: Set<Int>) -> Int? {
        guard let r = (0..<table.rows).first(where: { !taken.contains($0) }) else { return nil }
        table.reset(r)
        table.store(r, Field.owner, Int64(pid))
        return r
    }

    /// The master's side: a worker is gone; its connections with it.
    public static func releaseRow(_ r: Int, in table: SharedCounters) {
        guard r >= 0 && r < table.rows else { return }
        table.reset(r)
    }
}
