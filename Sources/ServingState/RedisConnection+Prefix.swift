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
    /// - Throws: ``RedisError``: `invalidArgument` for a malformed event (nothing sent),
    ///   `serverError` if the script rejects one, connection errors otherwise.
    public func applyPrefixEvents(
        _ events: [PrefixEvent], keys: RedisKeys, maxItems: Int? = nil
    )
        throws(RedisError) -> [PrefixUpdate]
    {
        let limit = String(maxItems ?? configuration.prefixLength)
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
        return try runInChunks(PrefixScript.script, calls: calls, decode: Self.decodePrefixReply)
    }

    static func validate(_ event: PrefixEvent) throws(RedisError) {
        func reject(_ why: String) -> RedisError {
            RedisError(.invalidArgument, "prefix event for user `\(event.user)`: \(why)")
        }
        guard !event.item.isEmpty else { throw reject("the item key is empty") }
        guard !event.item.contains(PrefixScript.itemSeparator), !event.item.contains(PrefixScript.headerSeparator)
        else { throw reject("the item key contains byte 0x1E or 0x1F, which the prefix encoding reserves") }
        guard event.partition >= 0 else { throw reject("partition \(event.partition) is negative") }
        guard event.offset >= 0, event.offset <= 1 << 53 else {
            throw reject("offset \(event.offset) is outside 0...2^53 (Lua compares offsets as doubles)")
        }
    }

    static func decodePrefixReply(_ reply: RedisValue) throws(RedisError) -> PrefixUpdate {
        if case .error(let message) = reply { throw RedisError(serverReply: message, command: "prefix script") }
        guard let parts = reply.array, parts.count == 2, let applied = parts[0].integer,
            case .bulkString(let joined) = parts[1]
        else { throw RedisError(.unexpectedReply, "prefix script answered \(reply), not {applied, items}") }
        // Split the bytes, not Characters: grapheme segmentation of every reply would cost
        // more than the rest of the round trip.
        let items = joined.split(separator: 0x1F).map { String(decoding: $0, as: UTF8.self) }
        return PrefixUpdate(applied: applied == 1, duplicate: applied == 2, items: items)
    }
}
