public import Foundation
public import Tensor

/// Writes a model bundle: files go to a hidden staging directory beside the target, and
/// ``finish(_:)`` hashes them, writes `manifest.json`, marks everything read-only and renames the
/// staging directory into place. A reader therefore sees either no bundle or a complete one, and
/// an existing bundle is never overwritten.
public final class BundleWriter {
    /// Where the finished bundle will live.
    public let directory: URL
    private let staging: URL
    private var finished = false

    /// Starts a bundle at `directory`.
    /// - Throws: ``BundleError/Code/alreadyExists`` if `directory` exists (bundles are immutable).
    public init(directory: URL) throws {
        self.directory = directory.standardizedFileURL
        let fm = FileManager.default
        if fm.fileExists(atPath: self.directory.path) {
            throw BundleError(.alreadyExists, "\(self.directory.path) exists; bundles are immutable, choose a new name")
        }
        let parent = self.directory.deletingLastPathComponent()
        staging = parent.appendingPathComponent(
            ".\(self.directory.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw BundleError(.io, "cannot create \(staging.path): \(error.localizedDescription)")
        }
    }

    deinit {
        // An abandoned writer leaves nothing behind.
        if !finished { try? FileManager.default.removeItem(at: staging) }
    }

    /// Adds a file with the given bytes.
    public func write(_ data: Data, as name: String) throws {
        let url = try stagedURL(name)
        do {
            try data.write(to: url)
        } catch {
            throw BundleError(.io, "cannot write \(name): \(error.localizedDescription)")
        }
    }

    /// Adds a safetensors file.
    public func writeTensors(_ tensors: [String: Tensor], metadata: [String: String] = [:], as name: String) throws {
        try write(try SafeTensors.encode(tensors, metadata: metadata), as: name)
    }

    /// Adds a JSON file (pretty-printed, sorted keys, so equal values give equal bytes).
    public func writeJSON<T: Encodable>(_ value: T, as name: String) throws {
        try write(try Self.encoder.encode(value), as: name)
    }

    /// Hashes every staged file into `manifest`, writes it, and moves the bundle into place.
    /// - Returns: the finished bundle, opened and verified.
    @discardableResult
    public func finish(_ manifest: BundleManifest) throws -> ModelBundle {
        precondition(!finished, "BundleWriter.finish called twice")
        var manifest = manifest
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: staging.path).sorted()
        manifest.files = [:]
        for name in names {
            let (hex, bytes) = try FileDigest.sha256(of: staging.appendingPathComponent(name))
            manifest.files[name] = .init(sha256: hex, bytes: bytes)
        }
        do {
            try Self.encoder.encode(manifest).write(to: staging.appendingPathComponent(ModelBundle.manifestName))
        } catch {
            throw BundleError(.io, "cannot write the manifest: \(error.localizedDescription)")
        }
        for name in names + [ModelBundle.manifestName] {
            try? fm.setAttributes([.posixPermissions: 0o444], ofItemAtPath: staging.appendingPathComponent(name).path)
        }
        if fm.fileExists(atPath: directory.path) {
            throw BundleError(
                .alreadyExists, "\(directory.path) appeared while writing; bundles are immutable, choose a new name")
        }
        do {
            try fm.moveItem(at: staging, to: directory)
        } catch {
            throw BundleError(
                .io, "cannot move the finished bundle to \(directory.path): \(error.localizedDescription)")
        }
        finished = true
        return try ModelBundle(directory: directory)
    }

    private func stagedURL(_ name: String) throws -> URL {
        guard ModelBundle.isPlainName(name), name != ModelBundle.manifestName else {
            throw BundleError(
                .badName, "'\(name)' is not a plain file name (no '/', not '.'-prefixed, not manifest.json)")
        }
        return staging.appendingPathComponent(name)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
