public import Foundation
public import Tensor

/// A finished, immutable model bundle, opened for reading.
///
/// Opening verifies the bundle by default: the manifest's format version, and the size and
/// SHA-256 of every listed file; a missing, changed or unlisted file is an error naming it.
/// The daemon refuses to serve a bundle that does not verify.
public struct ModelBundle: Sendable {
    /// The manifest's file name.
    public static let manifestName = "manifest.json"

    public let directory: URL
    public let manifest: BundleManifest

    /// Opens the bundle at `directory`.
    /// - Parameter verify: check every file's size and SHA-256 (default); skip only for tools
    ///   that inspect a bundle they are about to verify anyway.
    /// - Throws: ``BundleError`` naming the bundle and the file at fault.
    public init(directory: URL, verify: Bool = true) throws {
        self.directory = directory.standardizedFileURL
        let manifestURL = self.directory.appendingPathComponent(Self.manifestName)
        guard FileManager.default.fileExists(atPath: manifestURL.path) else {
            throw BundleError(
                .missingManifest,
                "\(self.directory.path) has no \(Self.manifestName): not a bundle, or one whose writing did not finish")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest: BundleManifest
        do {
            manifest = try decoder.decode(BundleManifest.self, from: Data(contentsOf: manifestURL))
        } catch let error as DecodingError {
            throw BundleError(.badManifest, "\(manifestURL.path): \(Self.describe(error))")
        } catch {
            throw BundleError(.io, "cannot read \(manifestURL.path): \(error.localizedDescription)")
        }
        guard manifest.formatVersion == BundleManifest.currentFormatVersion else {
            throw BundleError(
                .unsupportedVersion,
                "\(self.directory.path) has format version \(manifest.formatVersion); this build reads version \(BundleManifest.currentFormatVersion)"
            )
        }
        self.manifest = manifest
        if verify { try self.verify() }
    }

    /// Checks every listed file's size and SHA-256, and that no other file is present.
    public func verify() throws {
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        for name in present.sorted() where name != Self.manifestName && manifest.files[name] == nil {
            throw BundleError(
                .unlistedFile,
                "\(directory.path)/\(name) is not in the manifest; bundles are immutable, rebuild instead of adding files"
            )
        }
        for (name, entry) in manifest.files.sorted(by: { $0.key < $1.key }) {
            guard Self.isPlainName(name) else {
                throw BundleError(.badManifest, "manifest lists '\(name)', which is not a plain file name")
            }
            guard present.contains(name) else {
                throw BundleError(.missingFile, "\(directory.path)/\(name) is listed in the manifest but missing")
            }
            let (hex, bytes) = try FileDigest.sha256(of: url(name))
            guard bytes == entry.bytes, hex == entry.sha256 else {
                throw BundleError(
                    .corruptFile,
                    "\(directory.path)/\(name) does not match the manifest (size \(bytes) vs \(entry.bytes), sha256 \(hex.prefix(12))… vs \(entry.sha256.prefix(12))…); the bundle was modified or damaged: rebuild or restore it"
                )
            }
        }
    }

    /// The bundle's id (from the manifest).
    public var id: String { manifest.bundleID }

    /// The location of a listed file.
    public func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// The bytes of a listed file.
    public func data(_ name: String) throws -> Data {
        guard manifest.files[name] != nil else {
            throw BundleError(
                .missingFile,
                "\(directory.path) has no file '\(name)' (has: \(manifest.files.keys.sorted().joined(separator: ", ")))"
            )
        }
        do {
            return try Data(contentsOf: url(name), options: .alwaysMapped)
        } catch {
            throw BundleError(.io, "cannot read \(url(name).path): \(error.localizedDescription)")
        }
    }

    /// The tensors of a listed safetensors file.
    public func tensors(_ name: String) throws -> SafeTensors.Contents {
        let bytes = try data(name)
        do {
            return try SafeTensors.decode(bytes)
        } catch let error as SafeTensorsError {
            throw BundleError(.corruptFile, "\(url(name).path): \(error.message)")
        }
    }

    /// A listed JSON file decoded as `T`.
    public func decodeJSON<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        let bytes = try data(name)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: bytes)
        } catch let error as DecodingError {
            throw BundleError(.badManifest, "\(url(name).path): \(Self.describe(error))")
        }
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.hasPrefix(".")
    }

    /// A decoding error as "field a.b.c: what is wrong".
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "top level" : "field \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
