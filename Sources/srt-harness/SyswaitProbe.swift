import CSRT
import Glibc
import Protocol
import System

/// Measures the other way to join libsrt and the loop: the worker waiting in `srt_epoll_wait`
/// with its kernel fds added as "system sockets". A thread writes its clock into a pipe every
/// 3 to 13 ms; the main thread waits for the pipe with `srt_epoll_wait`, then on our
/// `EventLoop` for comparison, and reports how late each saw it.
enum SyswaitProbe {
    nonisolated(unsafe) private static var writeFD: Int32 = -1
    nonisolated(unsafe) private static var samples = 0

    static func run(samples: Int, report: HarnessReport) {
        srt_startup()
        var members: [JSONMember] = [JSONMember("samples", .int(Int64(samples)))]
        members += HarnessClock.percentiles(measure(samples: samples, srtEpoll: true), prefix: "srt_epoll_wait")
        members += HarnessClock.percentiles(measure(samples: samples, srtEpoll: false), prefix: "event_loop")
        report.write("syswait", members)
    }

    private static func measure(samples: Int, srtEpoll: Bool) -> [Double] {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        writeFD = fds[1]
        Self.samples = samples
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            for _ in 0..<SyswaitProbe.samples {
                usleep(UInt32(3000 + Int.random(in: 0..<10_000)))
                var now = HarnessClock.nowNs()
                _ = write(SyswaitProbe.writeFD, &now, 8)
            }
            return nil
        }, nil)
        var latencies: [Double] = []
        func record() {
            var sent: UInt64 = 0
            if read(fds[0], &sent, 8) == 8 { latencies.append(Double(HarnessClock.nowNs() - sent) / 1000) }
        }
        if srtEpoll {
            let eid = srt_epoll_create()
            var events = Int32(bitPattern: SRT_EPOLL_IN.rawValue)
            srt_epoll_add_ssock(eid, fds[0], &events)
            while latencies.count < samples {
                var ready: [SYSSOCKET] = [0]
                var count: Int32 = 1
                if srt_epoll_wait(eid, nil, nil, nil, nil, 1000, &ready, &count, nil, nil) > 0 { record() }
            }
            srt_epoll_release(eid)
        } else if let loop = try? EventLoop() {
            try? loop.register(fd: fds[0], events: EventLoop.readable) { _ in
                record()
                if latencies.count >= samples { loop.stop() }
            }
            loop.run()
            loop.unregister(fd: fds[0])
        }
        pthread_join(thread, nil)
        close(fds[0])
        close(fds[1])
        return latencies
    }
}
