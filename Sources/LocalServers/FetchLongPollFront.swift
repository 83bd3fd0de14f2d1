import Foundation
public import Kafka
import Synchronization

/// Long polling in front of librdkafka's mock brokers, so the embedded broker answers a waiting
/// fetch when data arrives, as a Kafka broker does.
///
/// The mock computes a Fetch response when the request arrives and, when it holds no records,
/// sends it only after the request's whole `max_wait_ms` ("this isn't strictly correct since we
/// should cut the wait short [...] but that is too much of a hassle here", its source says). An
/// event produced meanwhile waits for that empty answer and the next fetch: on average half of a
/// fetch cycle per consumer hop, which with `fetch.wait.max.ms` 1 was about 0.6 ms, twice on a
/// prediction's way (README, serve at light load); with the production wait (500 ms) it would be
/// a quarter of a second.
///
/// So clients connect here, one listener per mock broker, and every frame is relayed to the mock
/// but for three changes:
/// - a Fetch request goes on with `max_wait_ms` 0. An empty answer is held here until the client's
///   own wait ends, and the request is sent again whenever a Produce request has been answered
///   (records were appended), so records reach a waiting consumer about one loopback round trip
///   after they are written;
/// - Metadata and FindCoordinator responses name the front's ports instead of the mock's, so
///   clients stay here after bootstrapping (the mock is capped to the non-flexible versions this
///   file parses);
/// - while a fetch is held, later requests on its connection wait here, so responses keep their
///   order, as a broker handles one request per connection at a time.
///
/// Responses are matched to requests in order per connection; a Produce with `acks` 0 gets none,
/// so it is not waited for, and counts as an append as soon as it is sent on.
///
/// One thread serves every socket with `poll(2)`; all sockets are non-blocking with Nagle off.
public final class FetchLongPollFront: Sendable {
    /// The front's addresses, one per mock broker, in the mock's order.
    public let bootstrapServers: [KafkaBrokerAddress]

    private let stopPipe: (read: Int32, write: Int32)
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on a free loopback port for each of `mockServers` and starts relaying.
    ///
    /// - Throws: ``FrontError`` if a socket cannot be set up.
    public init(mockServers: [KafkaBrokerAddress]) throws {
        var listeners: [(socket: Int32, mockPort: Int32, frontPort: Int32)] = []
        for server in mockServers {
            let (socket, port) = try Self.listen()
            listeners.append((socket, Int32(server.port), port))
        }
        bootstrapServers = try mockServers.enumerated().map { index, server in
            try KafkaBrokerAddress.parseList(
                "\(server.host):\(listeners[index].frontPort)", key: "long-poll front")[0]
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw FrontError("pipe: \(String(cString: strerror(errno)))") }
        stopPipe = (fds[0], fds[1])
        let loop = RelayLoop(
            listeners: zip(listeners, mockServers).map { ($0.socket, $0.mockPort, $1.host) },
            ports: Dictionary(uniqueKeysWithValues: listeners.map { ($0.mockPort, $0.frontPort) }), stop: fds[0])
        let finished = finished
        let thread = Thread {
            loop.run()
            finished.signal()
        }
        thread.name = "resid.broker.long-poll"
        thread.start()
    }

    /// Stops the relay thread and closes every socket. Call once.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        finished.wait()
        close(stopPipe.write)
        close(stopPipe.read)
    }

    /// Why the front could not start.
    public struct FrontError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    private static func listen() throws -> (Int32, Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FrontError("socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 64) == 0 else {
            close(fd)
            throw FrontError("bind/listen on loopback: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        RelayLoop.setNonBlocking(fd)
        return (fd, Int32(UInt16(bigEndian: address.sin_port)))
    }
}

/// The relay's state, touched only by its thread.
private final class RelayLoop: @unchecked Sendable {
    /// One client connection and its connection to the mock.
    final class Pair {
        let client: Int32
        let mock: Int32
        var fromClient: [UInt8] = []
        var fromMock: [UInt8] = []
        var toClient: [UInt8] = []
        var toMock: [UInt8] = []
        /// Requests sent to the mock and not answered yet, oldest first.
        var inFlight: [Pending] = []
        /// Requests read from the client while a fetch is held, to send after it.
        var waiting: [[UInt8]] = []
        /// Responses (framed) to requests the client sent before the held fetch's successors but
        /// answered after it was held: they go out after the fetch's response, in order.
        var afterHeld: [UInt8] = []
        /// The held fetch: its request (with `max_wait_ms` 0), its deadline and the last empty
        /// response, sent to the client at the deadline.
        var held: Held?
        var closed = false

        init(client: Int32, mock: Int32) {
            self.client = client
            self.mock = mock
        }
    }

    struct Pending {
        var header: KafkaWire.RequestHeader
        /// For a fetch: the request as sent, the client's deadline and ``RelayLoop/appends`` when
        /// it was sent.
        var fetch: (request: [UInt8], deadline: ContinuousClock.Instant, appendsSeen: Int)?
    }

    struct Held {
        var request: [UInt8]
        var header: KafkaWire.RequestHeader
        var deadline: ContinuousClock.Instant
        var emptyResponse: [UInt8]
        /// ``RelayLoop/appends`` when the request that came back empty was sent: a Produce
        /// answered since then may have appended records it did not see.
        var appendsSeen: Int
    }

    private let listeners: [(socket: Int32, mockPort: Int32, host: String)]
    private let ports: [Int32: Int32]
    private let stop: Int32
    private var pairs: [Pair] = []
    /// Produce responses relayed so far: each means records were appended before it was sent.
    private var appends = 0

    init(listeners: [(Int32, Int32, String)], ports: [Int32: Int32], stop: Int32) {
        self.listeners = listeners.map { (socket: $0.0, mockPort: $0.1, host: $0.2) }
        self.ports = ports
        self.stop = stop
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    static func noDelay(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    func run() {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            var fds = [pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
            fds += listeners.map { pollfd(fd: $0.socket, events: Int16(POLLIN), revents: 0) }
            for pair in pairs {
                fds.append(
                    pollfd(
                        fd: pair.client, events: Int16(POLLIN) | (pair.toClient.isEmpty ? 0 : Int16(POLLOUT)),
                        revents: 0))
                fds.append(
                    pollfd(
                        fd: pair.mock, events: Int16(POLLIN) | (pair.toMock.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            let timeout = nextDeadlineMilliseconds()
            guard poll(&fds, nfds_t(fds.count), timeout) >= 0 || errno == EINTR else { break }
            if fds[0].revents != 0 { break }
            let polled = pairs
            for (index, listener) in listeners.enumerated() where fds[1 + index].revents & Int16(POLLIN) != 0 {
                accept(listener)
            }
            var index = 1 + listeners.count
            for pair in polled {
                let clientEvents = fds[index].revents
                let mockEvents = fds[index + 1].revents
                index += 2
                if clientEvents != 0 { serveClient(pair, clientEvents, &buffer) }
                if mockEvents != 0, !pair.closed { serveMock(pair, mockEvents, &buffer) }
            }
            for pair in pairs where !pair.closed { resendHeld(pair) }
            expireHeld()
            for pair in pairs where !pair.closed { flush(pair) }
            let gone = pairs.filter(\.closed)
            for pair in gone {
                close(pair.client)
                close(pair.mock)
            }
            pairs.removeAll(where: \.closed)
        }
        for pair in pairs {
            close(pair.client)
            close(pair.mock)
        }
        for listener in listeners { close(listener.socket) }
    }

    private func nextDeadlineMilliseconds() -> Int32 {
        let deadlines = pairs.compactMap { $0.held?.deadline }
        guard let first = deadlines.min() else { return 1000 }
        let remaining = first - ContinuousClock.now
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    private func accept(_ listener: (socket: Int32, mockPort: Int32, host: String)) {
        let client = Glibc.accept(listener.socket, nil, nil)
        guard client >= 0 else { return }
        let mock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(listener.host == "localhost" ? "127.0.0.1" : listener.host)
        address.sin_port = UInt16(truncatingIfNeeded: listener.mockPort).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(mock, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard mock >= 0, connected == 0 else {
            close(client)
            if mock >= 0 { close(mock) }
            return
        }
        for fd in [client, mock] {
            Self.setNonBlocking(fd)
            Self.noDelay(fd)
        }
        pairs.append(Pair(client: client, mock: mock))
    }

    /// Reads what is there; false when the peer closed or failed.
    private func read(_ fd: Int32, into bytes: inout [UInt8], _ buffer: inout [UInt8]) -> Bool {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
                continue
            }
            if count == 0 { return false }
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
        }
    }

    /// Takes the complete frames (size prefix removed) from the front of `bytes`.
    private func frames(_ bytes: inout [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var start = 0
        while let size = KafkaWire.int32(bytes, start), size >= 0, start + 4 + Int(size) <= bytes.count {
            result.append(Array(bytes[(start + 4)..<(start + 4 + Int(size))]))
            start += 4 + Int(size)
        }
        if start > 0 { bytes.removeFirst(start) }
        return result
    }

    private func framed(_ frame: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4)
        KafkaWire.setInt32(&bytes, 0, Int32(frame.count))
        return bytes + frame
    }

    private func serveClient(_ pair: Pair, _ events: Int16, _ buffer: inout [UInt8]) {
        if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            if !read(pair.client, into: &pair.fromClient, &buffer) { pair.closed = true }
            for frame in frames(&pair.fromClient) {
                if pair.held != nil { pair.waiting.append(frame) } else { forward(frame, of: pair) }
            }
        }
    }

    /// Sends a client request to the mock (a fetch with `max_wait_ms` 0) and remembers it.
    private func forward(_ request: [UInt8], of pair: Pair) {
        guard let header = KafkaWire.requestHeader(request) else {
            pair.closed = true
            return
        }
        if KafkaWire.produceWantsNoResponse(request) {
            // No response will come to match, or to say the records are in: count the append
            // once the request is on its way (a held fetch asked again before the mock has taken
            // it comes back empty and waits for the next append or its deadline).
            pair.toMock += framed(request)
            appends += 1
            return
        }
        var frame = request
        var pending = Pending(header: header)
        if let offset = KafkaWire.fetchMaxWaitOffset(frame), let wait = KafkaWire.int32(frame, offset), wait > 0 {
            KafkaWire.setInt32(&frame, offset, 0)
            pending.fetch = (frame, ContinuousClock.now + .milliseconds(Int(wait)), appends)
        }
        pair.inFlight.append(pending)
        pair.toMock += framed(frame)
    }

    private func serveMock(_ pair: Pair, _ events: Int16, _ buffer: inout [UInt8]) {
        if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            if !read(pair.mock, into: &pair.fromMock, &buffer) { pair.closed = true }
            for var frame in frames(&pair.fromMock) {
                guard !pair.inFlight.isEmpty else {
                    pair.closed = true
                    return
                }
                let pending = pair.inFlight.removeFirst()
                switch pending.header.apiKey {
                case KafkaWire.produce:
                    appends += 1
                case KafkaWire.metadata, KafkaWire.findCoordinator:
                    _ = KafkaWire.rewriteBrokerPorts(
                        &frame, apiKey: pending.header.apiKey, version: pending.header.apiVersion, ports: ports)
                case KafkaWire.fetch:
                    if let fetch = pending.fetch, ContinuousClock.now < fetch.deadline,
                        KafkaWire.fetchOutcome(frame, version: pending.header.apiVersion) == .empty
                    {
                        pair.held = Held(
                            request: fetch.request, header: pending.header, deadline: fetch.deadline,
                            emptyResponse: frame, appendsSeen: fetch.appendsSeen)
                        continue
                    }
                    pair.held = nil
                    pair.toClient += framed(frame) + pair.afterHeld
                    pair.afterHeld = []
                    releaseWaiting(pair)
                    continue
                default:
                    break
                }
                if pair.held != nil { pair.afterHeld += framed(frame) } else { pair.toClient += framed(frame) }
            }
        }
    }

    /// Asks the mock again for a held fetch when a Produce was answered after the fetch was
    /// last sent (records it did not see may be there now).
    private func resendHeld(_ pair: Pair) {
        guard let held = pair.held, held.appendsSeen < appends, pair.inFlight.isEmpty else { return }
        pair.inFlight.append(Pending(header: held.header, fetch: (held.request, held.deadline, appends)))
        pair.toMock += framed(held.request)
    }

    /// Answers held fetches whose client wait is over with their last empty response.
    private func expireHeld() {
        let now = ContinuousClock.now
        for pair in pairs where !pair.closed {
            guard let held = pair.held, held.deadline <= now, pair.inFlight.isEmpty else { continue }
            pair.held = nil
            pair.toClient += framed(held.emptyResponse) + pair.afterHeld
            pair.afterHeld = []
            releaseWaiting(pair)
        }
    }

    private func releaseWaiting(_ pair: Pair) {
        while pair.held == nil, !pair.waiting.isEmpty {
            forward(pair.waiting.removeFirst(), of: pair)
        }
    }

    private func flush(_ pair: Pair) {
        for toClient in [true, false] {
            let fd = toClient ? pair.client : pair.mock
            var pending = toClient ? pair.toClient : pair.toMock
            guard !pending.isEmpty else { continue }
            let sent = pending.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                pending.removeFirst(sent)
            } else if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                pair.closed = true
            }
            if toClient { pair.toClient = pending } else { pair.toMock = pending }
        }
    }
}
