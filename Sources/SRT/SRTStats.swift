import CSRT

/// libsrt's statistics of one connection (`srt_bstats`), for logs and the API: totals since the
/// connection began, and the counters since the last `clear` (SRS logs those every few seconds).
public struct SRTStats: Equatable, Sendable {
    /// Milliseconds since the connection started.
    public var ageMs: Int64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var packetsSent: Int64
    public var packetsReceived: Int64
    /// Packets the peer reported lost (sender side) and packets found missing (receiver side).
    public var packetsSendLoss: Int
    public var packetsReceiveLoss: Int
    public var packetsRetransmitted: Int
    /// Packets dropped for arriving (or being sent) too late to play (TLPKTDROP).
    public var packetsSendDropped: Int
    public var packetsReceiveDropped: Int
    /// Since the last clear: SRS's "pktRecv, pktRcvLoss, pktRcvRetrans, pktRcvDrop" and
    /// "pktSent, pktSndLoss, pktRetrans, pktSndDrop".
    public var interval: Interval
    public var rttMs: Double
    public var estimatedBandwidthMbps: Double
    public var sendRateMbps: Double
    public var receiveRateMbps: Double
    /// Media held in the receive buffer (milliseconds): what latency absorbs.
    public var receiveBufferMs: Int
    public var sendBufferMs: Int

    public struct Interval: Equatable, Sendable {
        public var packetsSent: Int64
        public var packetsReceived: Int64
        public var packetsSendLoss: Int
        public var packetsReceiveLoss: Int
        public var packetsRetransmitted: Int
        public var packetsReceiveRetransmitted: Int
        public var packetsSendDropped: Int
        public var packetsReceiveDropped: Int
    }

    /// Reads the statistics of `socket`, resetting the interval counters when `clear`.
    static func read(_ socket: SRTSOCKET, clear: Bool) -> SRTStats? {
        var s = SRT_TRACEBSTATS()
        guard srt_bstats(socket, &s, clear ? 1 : 0) == 0 else { return nil }
        return SRTStats(
            ageMs: s.msTimeStamp, bytesSent: s.byteSentTotal, bytesReceived: s.byteRecvTotal,
            packetsSent: s.pktSentTotal, packetsReceived: s.pktRecvTotal,
            packetsSendLoss: Int(s.pktSndLossTotal), packetsReceiveLoss: Int(s.pktRcvLossTotal),
            packetsRetransmitted: Int(s.pktRetransTotal),
            packetsSendDropped: Int(s.pktSndDropTotal), packetsReceiveDropped: Int(s.pktRcvDropTotal),
            interval: Interval(packetsSent: s.pktSent, packetsReceived: s.pktRecv, packetsSendLoss: Int(s.pktSndLoss),
                               packetsReceiveLoss: Int(s.pktRcvLoss), packetsRetransmitted: Int(s.pktRetrans),
                               packetsReceiveRetransmitted: Int(s.pktRcvRetrans), packetsSendDropped: Int(s.pktSndDrop),
                               packetsReceiveDropped: Int(s.pktRcvDrop)),
            rttMs: s.msRTT, estimatedBandwidthMbps: s.mbpsBandwidth, sendRateMbps: s.mbpsSendRate,
            receiveRateMbps: s.mbpsRecvRate, receiveBufferMs: Int(s.msRcvBuf), sendBufferMs: Int(s.msSndBuf))
    }
}
