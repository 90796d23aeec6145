import Core

/// The config a worker runs now: its services keep this one object and read `current` when they
/// decide, so a reload reaches them all at once.
public final class ConfigStore {
    public internal(set) var current: ServerConfig

    public init(_ config: ServerConfig) { current = config }
}
