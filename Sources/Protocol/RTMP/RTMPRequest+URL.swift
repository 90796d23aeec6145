extension RTMPRequest {
    /// A whole RTMP URL as a client would use it (`rtmp://host[:port]/app[?q]/stream[?q]`), split
    /// as SRS does (`srs_parse_rtmp_url`: the stream is after the last `/`, the tcUrl before
    /// it) and parsed as `connect` and `publish` would be: the vhost from `vhost=` in either
    /// query, else the host. Nil when it is not `rtmp://` or has no app or stream.
    public init?(url: String) {
        guard url.hasPrefix("rtmp://") else { return nil }
        let afterScheme = url.index(url.startIndex, offsetBy: "rtmp://".count)
        guard let firstSlash = url[afterScheme...].firstIndex(of: "/"),
              let lastSlash = url[firstSlash...].lastIndex(of: "/"), lastSlash > firstSlash else { return nil }
        self.init()
        setConnect(tcUrl: String(url[..<lastSlash]), app: nil)
        setStream(String(url[url.index(after: lastSlash)...]))
        guard !app.isEmpty, !stream.isEmpty else { return nil }
    }
}
