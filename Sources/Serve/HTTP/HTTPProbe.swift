#if canImport(Glibc)
import Foundation
import Glibc
#endif

/// A minimal loopback HTTP/1.1 client for probing a daemon's endpoints (readiness checks in
/// benchmarks, supervisors and tests): sends one request, reads the answer's head and then
/// `Content-Length` bytes of body (or until the server closes, when there is no length).
public enum HTTPProbe {
    /// Sends `request` (raw bytes, e.g. `GET /health/ready HTTP/1.1\r\n\r\n`) to 127.0.0.1:`port`.
    ///
    /// - Returns: the status code (0 if the answer has none) and the body.
    /// - Throws: ``ServeError`` `.http` when the connection fails.
    public static func send(_ request: String, port: Int, timeoutSeconds: Int = 5) throws -> (status: Int, body: String)
    {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServeError(.http, "socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw ServeError(.http, "connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { break }
            offset += sent
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !isComplete(answer) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// True once `answer` holds a head and as many body bytes as its `Content-Length` says.
    static func isComplete(_ answer: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard answer.count >= 4,
            let end = (0...(answer.count - 4)).first(where: { answer[$0..<$0 + 4].elementsEqual(separator) })
        else {
            return false
        }
        let head = String(decoding: answer[..<end], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return answer.count - (end + 4) >= length
    }

    /// `GET path`.
    public static func get(_ path: String, port: Int) throws -> (status: Int, body: String) {
        try send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n", port: port)
    }
}
