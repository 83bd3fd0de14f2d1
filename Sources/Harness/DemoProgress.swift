import Foundation

/// A demo progress line on standard error, so that `--json` output on standard output stays
/// parseable.
public func say(_ line: String) {
    FileHandle.standardError.write(Data("[demo] \(line)\n".utf8))
}
