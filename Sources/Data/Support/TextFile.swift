import Foundation

/// A text file held as bytes and split into records without going through `Character`s.
///
/// Lines end at `\n`; a `\r` before it is dropped, so LF and CRLF files (ml-1m uses CRLF) read
/// the same. Swift treats `"\r\n"` as one `Character`, which is why this works on bytes. A UTF-8
/// byte-order mark at the start is skipped; blank lines are skipped; fields must be valid UTF-8.
struct TextFile {
    /// The path, as given, for error messages.
    let path: String
    private let bytes: [UInt8]

    /// Reads the whole file.
    /// - Throws: ``DataError/Code/unreadableFile`` when it cannot be read.
    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(.unreadableFile, "cannot read the file (missing or no permission)", file: path)
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.path = path
        self.bytes = bytes
    }

    /// Creates a file from bytes already in memory (`path` only names it in errors).
    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// Calls `body` with each non-blank line's 1-based number and its bytes (without the end).
    func forEachLine(_ body: (Int, ArraySlice<UInt8>) throws -> Void) rethrows {
        var lineNumber = 0
        var start = 0
        let count = bytes.count
        while start < count {
            lineNumber += 1
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            if contentEnd > start { try body(lineNumber, bytes[start..<contentEnd]) }
            start = end + 1
        }
    }

    /// The first non-blank line split on `separator`, or `nil` for a blank file.
    func firstLine(separator: UInt8) throws -> [String]? {
        var first: [String]?
        do {
            try forEachSplitLine(separator: separator) { _, fields in
                first = fields
                throw StopScan()
            }
        } catch is StopScan {}
        return first
    }

    private struct StopScan: Error {}

    /// Calls `body` with each non-blank line split on `separator`, without quoting (RecBole's
    /// atomic files are tab-separated and never quote).
    /// - Throws: ``DataError/Code/malformedRow`` for a field that is not valid UTF-8, or what `body` throws.
    func forEachSplitLine(separator: UInt8, _ body: (Int, [String]) throws -> Void) throws {
        try forEachLine { number, line in
            var fields: [String] = []
            fields.reserveCapacity(8)
            var fieldStart = line.startIndex
            var index = line.startIndex
            while true {
                if index == line.endIndex || line[index] == separator {
                    fields.append(try decode(line[fieldStart..<index], line: number, column: fields.count + 1))
                    if index == line.endIndex { break }
                    fieldStart = index + 1
                }
                index += 1
            }
            try body(number, fields)
        }
    }

    /// Calls `body` with each CSV record (RFC 4180: fields separated by `,`, optionally quoted
    /// with `"`, a doubled `""` inside quotes is one quote, and quoted fields may span lines). The
    /// number passed is the line on which the record starts. Blank lines are skipped.
    /// - Throws: ``DataError/Code/malformedRow`` for an unterminated quote, text after a closing
    ///   quote or invalid UTF-8, or what `body` throws.
    func forEachCSVRecord(_ body: (Int, [String]) throws -> Void) throws {
        var line = 1
        var index = 0
        let count = bytes.count
        while index < count {
            // Skip blank lines between records.
            if bytes[index] == 0x0A { line += 1; index += 1; continue }
            if bytes[index] == 0x0D, index + 1 < count, bytes[index + 1] == 0x0A { index += 1; continue }
            let recordLine = line
            var fields: [String] = []
            var atRecordEnd = false
            while !atRecordEnd {
                var field: [UInt8] = []
                if index < count && bytes[index] == 0x22 {
                    index += 1
                    var closed = false
                    while index < count {
                        let byte = bytes[index]
                        if byte == 0x22 {
                            if index + 1 < count && bytes[index + 1] == 0x22 {
                                field.append(0x22); index += 2; continue
                            }
                            closed = true
                            index += 1
                            break
                        }
                        if byte == 0x0A { line += 1 }
                        field.append(byte)
                        index += 1
                    }
                    if !closed {
                        throw DataError(
                            .malformedRow, "quoted field \(fields.count + 1) is never closed (add the closing \")",
                            file: path, line: recordLine)
                    }
                    if index < count && bytes[index] == 0x0D { index += 1 }
                    if index < count && bytes[index] != 0x2C && bytes[index] != 0x0A {
                        throw DataError(
                            .malformedRow,
                            "text after the closing quote of field \(fields.count + 1) (quote the whole field)",
                            file: path, line: line)
                    }
                } else {
                    while index < count && bytes[index] != 0x2C && bytes[index] != 0x0A {
                        field.append(bytes[index]); index += 1
                    }
                    if field.last == 0x0D { field.removeLast() }
                }
                fields.append(try decode(field[...], line: recordLine, column: fields.count + 1))
                if index >= count || bytes[index] == 0x0A {
                    atRecordEnd = true
                    if index < count { line += 1 }
                }
                index += 1
            }
            try body(recordLine, fields)
        }
    }

    private func decode(_ bytes: ArraySlice<UInt8>, line: Int, column: Int) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DataError(
                .malformedRow, "column \(column) is not valid UTF-8 (re-encode the file as UTF-8)", file: path,
                line: line)
        }
        return text
    }
}
