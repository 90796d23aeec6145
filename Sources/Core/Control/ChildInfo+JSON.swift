import Protocol
import System

extension ProcessSupervisor.Info {
    /// One supervised child in API answers (`/api/v1/processes`, a stream's `transcode` and
    /// `exec`); `fields` come first (what it is: kind, vhost, stream...).
    public func json(_ fields: [JSONMember] = []) -> JSONValue {
        .object(fields + [
            JSONMember("id", .string(id)), JSONMember("state", .string(state.rawValue)),
            JSONMember("pid", pid.map { .int(Int64($0)) } ?? .null),
            JSONMember("cmd", .string(commandLine)), JSONMember("log", stdoutPath.map { .string($0) } ?? .null),
            JSONMember("started", startedWallMs.map { .int($0) } ?? .null), JSONMember("starts", .int(Int64(starts))),
            JSONMember("last_exit", lastExit.map { .string($0) } ?? .null),
            JSONMember("restart_in_ms", restartInMs.map { .int($0) } ?? .null),
        ])
    }
}
