/// A parsed HTTP/1.x request head (the daemon serves GET only; bodies are never read).
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method, as sent (`GET`).
    public var method: String
    /// The path without the query (`/metrics`).
    public var path: String
    /// The query string without `?`, if any.
    public var query: String?
    /// `HTTP/1.0` or `HTTP/1.1`.
    public var version: String
}

/// Why a request head was refused; each maps to a status code.
public enum HTTPParseError: Error, Sendable, Equatable {
    /// The head is not complete yet (no blank line): read more.
    case incomplete
    /// The head is larger than the limit (431).
    case tooLarge
    /// The request line or a header line is malformed (400).
    case malformed(String)
    /// An HTTP version other than 1.0/1.1 (505).
    case unsupportedVersion

    /// The status code to answer with.
    public var status: Int {
        switch self {
        case .incomplete, .malformed: 400
        case .tooLarge: 431
        case .unsupportedVersion: 505
        }
    }
}

/// Parses request heads from raw bytes, strictly: a request line of three tokens, printable
/// ASCII, an absolute path, and header lines of `name: value`. Anything else is an error, never
/// a crash.
public enum HTTPRequestParser {
    /// The largest head accepted.
    public static let maximumHeadBytes = 8192

    /// Parses the head at the start of `bytes`.
    ///
    /// - Throws: ``HTTPParseError``; `.incomplete` while no blank line has arrived (and the limit
    ///   is not reached).
    public static func parse(_ bytes: [UInt8]) throws(HTTPParseError) -> HTTPRequestHead {
        guard let end = headEnd(bytes) else {
            throw bytes.count >= maximumHeadBytes ? .tooLarge : .incomplete
        }
        guard end <= maximumHeadBytes else { throw .tooLarge }
        // Lines end in CRLF; a bare LF is tolerated (RFC 9112 §2.2).
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for index in 0..<end where bytes[index] == 0x0A {
            var line = bytes[start..<index]
            if line.last == 0x0D { line = line.dropLast() }
            lines.append(line)
            start = index + 1
        }
        guard let requestLine = lines.first, !requestLine.isEmpty else { throw .malformed("empty request line") }
        guard requestLine.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw .malformed("request line has non-printable bytes") }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .malformed("request line must be `METHOD /path HTTP/1.1`")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        guard method.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) }) else { throw .malformed("method must be upper-case letters") }
        let target = String(decoding: parts[1], as: UTF8.self)
        guard target.hasPrefix("/") else { throw .malformed("request target must be an absolute path") }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.hasPrefix("HTTP/") else { throw .malformed("missing HTTP version") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw .unsupportedVersion }
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw .malformed("header line without a name and `:`")
            }
            let name = line[line.startIndex..<colon]
            guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .malformed("header name has spaces or control bytes") }
        }
        let query = target.firstIndex(of: "?")
        return HTTPRequestHead(
            method: method, path: query.map { String(target[..<$0]) } ?? target,
            query: query.map { String(target[target.index(after: $0)...]) }, version: version)
    }

    /// The index just past the blank line ending the head, if it has arrived.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }
}

/// A response: status, content type and body.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
    }

    /// The full HTTP/1.1 message (the connection is closed after it).
    public func serialized(includeBody: Bool = true) -> [UInt8] {
        let reason = Self.reasons[status] ?? "Status"
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }

    static let reasons = [
        200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
        431: "Request Header Fields Too Large", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
    ]
}
