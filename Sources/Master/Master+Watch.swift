import Core
import System

extension Master {
    /// Quiet time after the last change before reloading (an editor's save or the kubelet's
    /// symlink swap is several events).
    static let reloadDebounceMs: Int64 = 200

    /// `inotify_auto_reload` (or `auto_reload_for_docker` in a container): reload when the config
    /// file changes. The watch is on its directory, because a K8s ConfigMap update swaps the
    /// `..data` symlink there and editors rename new files over the old.
    func watchConfig(inContainer: Bool) {
        guard let path = configPath, config.inotifyAutoReload || (inContainer && config.autoReloadForDocker) else { return }
        let dir = FileSystem.dirname(path)
        let name = FileSystem.basename(path)
        do {
            configWatcher = try DirectoryWatcher(directory: dir, loop: loop) { [unowned self] file, mask, wd in
                // Only the config's events are logged: the log file may be in the same directory.
                guard file == name || file == "..data" else { return }
                Log.trace("inotify event wd=\(wd), mask=0x\(String(mask, radix: 16)), len=\(file.utf8.count), name=\(file), reload=1")
                pendingReload += 1
                let token = pendingReload
                loop.schedule(afterMs: Self.reloadDebounceMs) { [weak self] in
                    guard let self, token == pendingReload else { return }
                    reload()
                }
            }
            Log.trace("auto reload: watching \(dir) for changes of \(name)")
        } catch {
            Log.warn("auto reload disabled: \(error)")
        }
    }
}
