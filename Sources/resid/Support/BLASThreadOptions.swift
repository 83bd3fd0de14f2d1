import ArgumentParser
import Foundation
import Tensor

/// `--blas-threads` / `RESID_BLAS_THREADS`: how many threads OpenBLAS may use per call.
///
/// OpenBLAS otherwise starts one thread per core for every large call, and several workers each
/// doing that oversubscribe the machine; so every command that computes sets the count
/// explicitly before its first GEMM. Precedence: the flag, then the environment variable, then
/// 1 (one thread per worker).
struct BLASThreadOptions: ParsableArguments {
    static let environmentKey = "RESID_BLAS_THREADS"

    @Option(
        name: [.customLong("blas-threads"), .customLong("threads")],
        help: "OpenBLAS threads per call (default: $RESID_BLAS_THREADS, else 1)."
    )
    var blasThreads: Int?

    /// Resolves the count and applies it to OpenBLAS.
    /// - Returns: the thread count in force.
    /// - Throws: `ValidationError` naming the flag or variable when the value is not a positive
    ///   integer.
    @discardableResult
    func apply(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        let count: Int
        if let blasThreads {
            guard blasThreads >= 1 else {
                throw ValidationError("--blas-threads must be a positive integer, got \(blasThreads)")
            }
            count = blasThreads
        } else if let text = environment[Self.environmentKey] {
            guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)), parsed >= 1 else {
                throw ValidationError(
                    "\(Self.environmentKey) must be a positive integer, got '\(text)'; unset it or set e.g. \(Self.environmentKey)=1"
                )
            }
            count = parsed
        } else {
            count = 1
        }
        BLAS.setThreads(count)
        return count
    }
}
