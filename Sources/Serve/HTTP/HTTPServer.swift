#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A small HTTP/1.1 server for the daemon's metrics, health and admin endpoints: GET (and HEAD)
/// only, one request per connection, on one dedicated thread over POSIX sockets.
///
/// Scrapes are rare and tiny, so one connection at a time is enough; each connection gets a 2 s
/// receive/send timeout so a slow or silent client cannot hold the thread. Malformed requests
/// get 400/431/505, other methods 405, unknown paths 404; nothing a client sends can crash it.
public final class HTTPServer: Sendable {
    /// Answers one request (called on the server thread).
    public typealias Handler = @Sendable (HTTPRequestHead) -> HTTPResponse

    /// The bound port (useful when 0 was asked for).
    public let port: Int
    private let socket: Int32
    private let handler: Handler
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    /// Binds and listens on `host:port` (IPv4); call ``start()`` to serve.
    ///
    /// - Throws: ``ServeError`` `.http` naming the address and the system error.
    public init(host: String, port: Int, handler: @escaping Handler) throws {
        self.handler = handler
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServeError(.http, "socket(): \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw ServeError(.http, "serve.httpHost `\(host)` is not an IPv4 address; use e.g. 127.0.0.1 or 0.0.0.0")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ServeError(.http, "cannot listen on \(host):\(port): \(reason); pick a free serve.httpPort (0 = any)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socket = fd
    }

    deinit {
        close(socket)
    }

    /// Starts the server thread. Idempotent.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            serve()
            stopped.signal()
        }
        thread.name = "resid-http"
        thread.start()
    }

    /// Stops accepting and waits for the thread (at most one poll interval plus one request).
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing), started.load(ordering: .acquiring) else { return }
        stopped.wait()
    }

    private func serve() {
        while !stopping.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { continue }
            let client = accept(socket, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let response: HTTPResponse
        var isHead = false
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                // Closed or timed out before a full head.
                if received.isEmpty { return }
                send(client, HTTPResponse(status: 408, body: "request head incomplete\n"))
                return
            }
            received.append(contentsOf: buffer[0..<count])
            do {
                let head = try HTTPRequestParser.parse(received)
                isHead = head.method == "HEAD"
                if head.method != "GET", !isHead {
                    response = HTTPResponse(status: 405, body: "only GET is served\n")
                } else {
                    response = handler(head)
                }
                break
            } catch .incomplete {
                continue
            } catch {
                response = HTTPResponse(status: error.status, body: "bad request: \(error)\n")
                break
            }
        }
        send(client, response, includeBody: !isHead)
    }

    private func send(_ client: Int32, _ response: HTTPResponse, includeBody: Bool = true) {
        let bytes = response.serialized(includeBody: includeBody)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}
