import Crypto
import Foundation

/// SHA-256 of files, streamed so that large weight files are never held in memory twice.
enum FileDigest {
    static func sha256(of url: URL) throws -> (hex: String, bytes: Int) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw BundleError(.io, "cannot open \(url.path) for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total = 0
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw BundleError(.io, "cannot read \(url.path): \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            total += chunk.count
            hasher.update(data: chunk)
        }
        let hex = hasher.finalize().map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
        return (hex, total)
    }
}
