public import Redis

extension RedisConnection {
    /// Applies interaction events to user prefixes, `pipelineDepth` events per round trip.
    ///
    /// Idempotent per (partition, offset): re-applying an event (after a crash, a rebalance or
    /// a retried round trip) changes nothing, so this may be retried freely. An event whose id
    /// the user's window holds at another position is a duplicate: not appended (see
    /// ``PrefixScript``).
    /// - Parameters:
    ///   - events: Events in the order they were consumed.
    ///   - keys: The key layout.
    ///   - maxItems: The prefix length; defaults to `configuration.prefixLength`.
    /// - Returns: One ``PrefixUpdate`` per event, in order.
    /// - Throws: ``ServingStateError``: `invalidRequest` for a malformed event (nothing sent),
    ///   `rejectedByScript` if the script refuses one; ``RedisError`` for connection and
    ///   protocol failures and other server errors.
    public func applyPrefixEvents(
        _ events: [PrefixEvent], keys: RedisKeys, maxItems: Int? = nil
    ) throws -> [PrefixUpdate] {
        let length = maxItems ?? configuration.prefixLength
        guard length >= 1 else {
            throw ServingStateError(
                .invalidRequest, "prefix update", field: "maxItems", problem: "\(length) is below 1",
                fix: "keep at least one item per prefix (redis.prefixLength)")
        }
        let limit = String(length)
        var calls: [RedisScript.Call] = []
        calls.reserveCapacity(events.count)
        for event in events {
            try Self.validate(event)
            calls.append(
                RedisScript.Call(
                    keys: event.countsUptake
                        ? [keys.prefix(user: event.user), keys.uptake] : [keys.prefix(user: event.user)],
                    arguments: [event.item, String(event.partition), String(event.offset), limit, event.eventID]))
        }
        let replies = try runInChunks(PrefixScript.script, calls: calls) { $0 }
        return try zip(events, replies).map { event, reply in
            try Self.decodePrefixReply(reply, subject: Self.subject(event))
        }
    }

    static func subject(_ event: PrefixEvent) -> String { "prefix event for user `\(event.user)`" }

    static func validate(_ event: PrefixEvent) throws(ServingStateError) {
        func reject(_ field: String, _ problem: String, _ fix: String) -> ServingStateError {
            ServingStateError(.invalidRequest, subject(event), field: field, problem: problem, fix: fix)
        }
        guard !event.item.isEmpty else {
            throw reject("item", "the item key is empty", "give every interaction event an item key")
        }
        guard !event.item.contains(PrefixScript.itemSeparator), !event.item.contains(PrefixScript.headerSeparator)
        else {
            throw reject(
                "item", "the item key contains byte 0x1E or 0x1F, which the prefix encoding reserves",
                "drop the control bytes 0x1E and 0x1F from item keys")
        }
        guard event.partition >= 0 else {
            throw reject(
                "partition", "\(event.partition) is negative", "pass the Kafka partition the event was read from")
        }
        guard event.offset >= 0, event.offset <= 1 << 53 else {
            throw reject(
                "offset", "\(event.offset) is outside 0...2^53 (Lua compares offsets as doubles)",
                "pass the event's Kafka offset, which stays far below 2^53")
        }
    }

    /// One reply of the prefix script; an error reply becomes ``ServingStateError`` (the
    /// script's own refusal) or ``RedisError``.
    static func decodePrefixReply(_ reply: RedisValue, subject: String = "prefix update") throws -> PrefixUpdate {
        if case .error(let message) = reply {
            throw ServingStateError.scriptReply(message, tag: "prefix script", subject: subject)
        }
        guard let parts = reply.array, parts.count == 2, let applied = parts[0].integer,
            case .bulkString(let joined) = parts[1]
        else { throw RedisError(.unexpectedReply, "prefix script answered \(reply), not {applied, items}") }
        // Split the bytes, not Characters: grapheme segmentation of every reply would cost
        // more than the rest of the round trip.
        let items = joined.split(separator: 0x1F).map { String(decoding: $0, as: UTF8.self) }
        return PrefixUpdate(applied: applied == 1, duplicate: applied == 2, items: items)
    }
}
