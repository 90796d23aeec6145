import Core
import System

/// `max_connections` for the whole server rather than per worker. The master shares a table of
/// counters with its workers (`ConnectionTable`); each worker owns one row, where it publishes
/// its client connections and how many of them wait for their client (evictable), and where
/// other workers ask it to evict some.
///
/// Admission publishes the reservation before it reads the total (sequentially consistent), so
/// two workers racing for the last place cannot both take it: the later read sees both
/// reservations. At worst both refuse (each then tries to make room). The only admissions over
/// the limit are the ones made while asking another worker to evict (`requestEviction`): at
/// most `maxPendingRequests` per other worker, each for at most one period of its request timer
/// (100 ms).
public final class ConnectionQuota {
    typealias Field = ConnectionTable.Field

    /// Eviction requests one worker may have pending: bounds the admissions over the limit.
    static let maxPendingRequests: Int64 = 8

    let table: SharedCounters
    let row: Int

    /// Nil when `row` is not in the table (a corrupt configure message).
    public init?(table: SharedCounters, row: Int) {
        guard row >= 0 && row < table.rows else { return nil }
        self.table = table
        self.row = row
    }

    /// Client connections of the whole server.
    var total: Int { Int(table.sum(Field.connections)) }

    /// Takes a place for one more client of this worker, which holds `current`: true when the
    /// server as a whole had room for it (the caller then adds it and publishes `current + 1`).
    func reserve(current: Int, limit: Int) -> Bool {
        table.store(row, Field.connections, Int64(current + 1))
        if table.sum(Field.connections) <= Int64(limit) { return true }
        table.store(row, Field.connections, Int64(current))
        return false
    }

    /// Publishes this worker's client connections (after one came or went).
    func publish(connections: Int) {
        table.store(row, Field.connections, Int64(connections))
    }

    /// Publishes how many of this worker's connections could be evicted.
    func publish(waiting: Int) {
        table.store(row, Field.waiting, Int64(waiting))
    }

    /// At the limit, with nothing to evict here: asks the worker with the most evictable
    /// connections not yet asked for to evict one. True when asked: the caller admits its
    /// client, over the limit until that worker served the request.
    func requestEviction() -> Bool {
        var best: (row: Int, spare: Int64)?
        for r in 0..<table.rows where r != row {
            let waiting = table.load(r, Field.waiting)
            guard waiting > 0 else { continue }
            let spare = min(waiting, Self.maxPendingRequests) - table.load(r, Field.evictRequests)
            if spare > 0 && spare > best?.spare ?? 0 { best = (r, spare) }
        }
        guard let target = best?.row else { return false }
        // Claim one; another worker may claim the same row meanwhile, so retry a few times.
        for _ in 0..<4 {
            let asked = table.load(target, Field.evictRequests)
            guard asked < min(table.load(target, Field.waiting), Self.maxPendingRequests) else { return false }
            if table.compareExchange(target, Field.evictRequests, expected: asked, desired: asked + 1) { return true }
        }
        return false
    }

    /// The evictions other workers asked of this one since the last call (then cleared).
    func takeEvictionRequests() -> Int {
        let asked = table.load(row, Field.evictRequests)
        // Subtract what was read: requests arriving meanwhile stay for the next call.
        if asked > 0 { table.add(row, Field.evictRequests, -asked) }
        return Int(asked)
    }
}
