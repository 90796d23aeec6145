import System

extension ServerConfig {
    /// Points the process's log where this config says (`srs_log_level`, `srs_log_tank`,
    /// `srs_log_file`). With `previous` (a reload), only what changed is touched, so an unchanged
    /// log file is not reopened. The one place the master and the workers apply log settings.
    public func applyLog(previous: ServerConfig? = nil) throws {
        Log.level = logLevel
        if let p = previous, p.logTank == logTank, p.logFile == logFile { return }
        if logTank == .file { try Log.toFile(logFile) } else { Log.toConsole() }
    }
}
