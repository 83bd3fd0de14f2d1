/// The few pieces of the Kafka wire protocol that the embedded broker's long-poll front reads or
/// rewrites (see ``FetchLongPollFront``). Every frame is a big-endian `int32` size and that many
/// bytes. Only non-flexible versions are parsed (the front caps the mock's Metadata and
/// FindCoordinator versions accordingly; Fetch is non-flexible up to v11, librdkafka 2.0's
/// highest); any other frame passes through untouched.
enum KafkaWire {
    static let produce: Int16 = 0
    static let fetch: Int16 = 1
    static let metadata: Int16 = 3
    static let findCoordinator: Int16 = 10

    /// Highest request versions whose responses the front can parse (non-flexible).
    static let highestMetadataVersion: Int16 = 8
    static let highestFindCoordinatorVersion: Int16 = 2
    static let highestFetchVersion: Int16 = 11

    /// A request frame's header fields (the frame without its size prefix).
    struct RequestHeader: Equatable {
        var apiKey: Int16
        var apiVersion: Int16
        var correlationID: Int32
    }

    static func int16(_ bytes: [UInt8], _ offset: Int) -> Int16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))
    }

    static func int32(_ bytes: [UInt8], _ offset: Int) -> Int32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for index in offset..<offset + 4 { value = value << 8 | UInt32(bytes[index]) }
        return Int32(bitPattern: value)
    }

    static func setInt32(_ bytes: inout [UInt8], _ offset: Int, _ value: Int32) {
        let raw = UInt32(bitPattern: value)
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: raw >> (24 - 8 * index)) }
    }

    /// The header of a request frame (api key, version, correlation id: the first 8 bytes of
    /// every request header version).
    static func requestHeader(_ frame: [UInt8]) -> RequestHeader? {
        guard let key = int16(frame, 0), let version = int16(frame, 2), let id = int32(frame, 4) else { return nil }
        return RequestHeader(apiKey: key, apiVersion: version, correlationID: id)
    }

    /// Offset of `max_wait_ms` in a Fetch request (v4...v11: header v1, then `replica_id`).
    static func fetchMaxWaitOffset(_ frame: [UInt8]) -> Int? {
        guard let header = requestHeader(frame), header.apiKey == fetch,
            (4...highestFetchVersion).contains(header.apiVersion),
            let clientIDLength = int16(frame, 8)
        else { return nil }
        let offset = 10 + max(Int(clientIDLength), 0) + 4
        return offset + 4 <= frame.count ? offset : nil
    }

    /// Whether a Produce request (v0...v8, non-flexible) asks for no acknowledgement (`acks` 0):
    /// the broker then sends no response at all.
    static func produceWantsNoResponse(_ frame: [UInt8]) -> Bool {
        guard let header = requestHeader(frame), header.apiKey == produce, (0...8).contains(header.apiVersion),
            let clientIDLength = int16(frame, 8)
        else { return false }
        var reader = Reader(bytes: frame, offset: 10 + max(Int(clientIDLength), 0))
        if header.apiVersion >= 3, !reader.skipString() { return false }  // transactional_id
        return reader.int16() == 0
    }

    /// How a Fetch response (v4...v11) reads: records for some partition, an error, or nothing.
    enum FetchOutcome: Equatable {
        case empty
        case dataOrError
        case unreadable
    }

    static func fetchOutcome(_ frame: [UInt8], version: Int16) -> FetchOutcome {
        guard (4...highestFetchVersion).contains(version) else { return .unreadable }
        var reader = Reader(bytes: frame, offset: 4)  // correlation id
        guard reader.skip(4) else { return .unreadable }  // throttle_time_ms
        if version >= 7 {
            guard let error = reader.int16(), reader.skip(4) else { return .unreadable }
            if error != 0 { return .dataOrError }
        }
        guard let topics = reader.int32() else { return .unreadable }
        for _ in 0..<max(Int(topics), 0) {
            guard reader.skipString(), let partitions = reader.int32() else { return .unreadable }
            for _ in 0..<max(Int(partitions), 0) {
                guard reader.skip(4), let error = reader.int16(), reader.skip(8 + 8) else { return .unreadable }
                if error != 0 { return .dataOrError }
                if version >= 5, !reader.skip(8) { return .unreadable }
                guard let aborted = reader.int32(), reader.skip(max(Int(aborted), 0) * 16) else { return .unreadable }
                if version >= 11, !reader.skip(4) { return .unreadable }
                guard let records = reader.int32() else { return .unreadable }
                if records > 0 { return .dataOrError }
            }
        }
        return .empty
    }

    /// Rewrites the port of every broker a Metadata (v1...v8) or FindCoordinator (v0...v2)
    /// response names, through `ports` (mock broker port to front port). Returns false if the
    /// frame is not one it can read (then it is left as it was).
    static func rewriteBrokerPorts(_ frame: inout [UInt8], apiKey: Int16, version: Int16, ports: [Int32: Int32]) -> Bool
    {
        var reader = Reader(bytes: frame, offset: 4)
        var portOffsets: [Int] = []
        switch apiKey {
        case metadata where (1...highestMetadataVersion).contains(version):
            if version >= 3, !reader.skip(4) { return false }
            guard let brokers = reader.int32() else { return false }
            for _ in 0..<max(Int(brokers), 0) {
                guard reader.skip(4), reader.skipString() else { return false }
                portOffsets.append(reader.offset)
                guard reader.skip(4), reader.skipString() else { return false }  // port, rack
            }
        case findCoordinator where (0...highestFindCoordinatorVersion).contains(version):
            if version >= 1 {
                guard reader.skip(4 + 2), reader.skipString() else { return false }
            } else {
                guard reader.skip(2) else { return false }
            }
            guard reader.skip(4), reader.skipString() else { return false }
            portOffsets.append(reader.offset)
            guard reader.skip(4) else { return false }
        default:
            return false
        }
        for offset in portOffsets {
            if let port = int32(frame, offset), let front = ports[port] { setInt32(&frame, offset, front) }
        }
        return true
    }

    /// A bounds-checked cursor over a frame.
    struct Reader {
        let bytes: [UInt8]
        var offset: Int

        mutating func skip(_ count: Int) -> Bool {
            guard count >= 0, offset + count <= bytes.count else { return false }
            offset += count
            return true
        }

        mutating func int16() -> Int16? {
            defer { offset += 2 }
            return KafkaWire.int16(bytes, offset)
        }

        mutating func int32() -> Int32? {
            defer { offset += 4 }
            return KafkaWire.int32(bytes, offset)
        }

        /// Skips a (nullable) non-compact string: `int16` length, -1 for null.
        mutating func skipString() -> Bool {
            guard let length = int16() else { return false }
            return skip(max(Int(length), 0))
        }
    }
}
