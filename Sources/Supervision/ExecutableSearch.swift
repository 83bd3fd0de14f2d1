public import Foundation

/// Finds a program by name, as a shell would, so a missing one is reported by name before any
/// launch is tried.
public enum ExecutableSearch {
    /// The first executable `name` in the directories of `PATH`, then in the usual system
    /// directories (a service manager's `PATH` may leave out `sbin`); `nil` if there is none.
    public static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories =
            path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin"]
        return directories.lazy.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The binary this process runs: how `resid` starts its own subcommands as children.
    public static var running: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }
}
