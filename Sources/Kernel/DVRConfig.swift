/// A vhost's `dvr { }` settings, with SRS's defaults (`srs_app_config.cpp`, `get_dvr_*`). The
/// App parses the directives; the recorder only reads this.
public struct DVRConfig: Equatable, Sendable {
    /// `dvr_plan`: one file per publish (`session`), or files of `dvr_duration` (`segment`).
    public enum Plan: String, Equatable, Sendable {
        case session, segment
    }

    /// `dvr_plan`, default session.
    public var plan: Plan
    /// `dvr_path`: a path template (see `DVRPathTemplate`); `.mp4` selects MP4, anything else FLV.
    public var path: String
    /// `dvr_duration` in seconds (segment plan), default 30; 0 or less never cuts.
    public var durationSeconds: Int
    /// `dvr_wait_keyframe`, default on: the segment plan cuts only before a video keyframe, and
    /// an FLV file drops the video before its first keyframe.
    public var waitKeyframe: Bool
    /// `dvr { time_jitter }`, default full.
    public var timeJitter: TimeJitter.Mode
    /// `dvr_apply`, default all.
    public var apply: DVRApply

    /// SRS's default `dvr_path`.
    public static let defaultPath = "./objs/nginx/html/[app]/[stream].[timestamp].flv"

    public init(plan: Plan = .session, path: String = DVRConfig.defaultPath, durationSeconds: Int = 30,
                waitKeyframe: Bool = true, timeJitter: TimeJitter.Mode = .full, apply: DVRApply = .all) {
        self.plan = plan
        self.path = path
        self.durationSeconds = durationSeconds
        self.waitKeyframe = waitKeyframe
        self.timeJitter = timeJitter
        self.apply = apply
    }

    /// Files are MP4 when `dvr_path` ends with `.mp4` (SRS's test), FLV otherwise.
    public var isMP4: Bool { path.hasSuffix(".mp4") }
}

/// `dvr_apply`: which streams of the vhost are recorded (`srs_config_apply_filter`).
public enum DVRApply: Equatable, Sendable {
    /// Every stream: `dvr_apply all;`, or no arguments.
    case all
    /// Only these `app/stream` names: `dvr_apply live/a live/b;`.
    case streams([String])

    /// The directive's arguments: none, or exactly `all`, mean every stream; anything else is
    /// a list of `app/stream` (where `all` is just a name, as in SRS).
    public init(arguments: [String]) {
        if arguments.isEmpty || arguments == ["all"] {
            self = .all
        } else {
            self = .streams(arguments)
        }
    }

    /// Whether the stream `app/stream` is recorded.
    public func matches(app: String, stream: String) -> Bool {
        switch self {
        case .all: return true
        case .streams(let names): return names.contains(app + "/" + stream)
        }
    }
}
