public import Redis

extension RedisConnection {
    /// Claims SIDs for items, `pipelineDepth` items per round trip. Idempotent: an item that
    /// already has an SID gets it back unchanged, so a retried call is harmless.
    /// - Parameters:
    ///   - requests: One request per item.
    ///   - bundle: The bundle id (no `:`); SIDs are per bundle.
    ///   - keys: The key layout.
    /// - Returns: One ``SIDClaim`` per request, in order.
    /// - Throws: ``RedisError``: `invalidArgument` for a malformed request (nothing sent),
    ///   `serverError` if the script rejects one, connection errors otherwise.
    public func claimSIDs(
        _ requests: [SIDClaimRequest], bundle: String, keys: RedisKeys
    ) throws(RedisError)
        -> [SIDClaim]
    {
        guard !bundle.isEmpty, !bundle.contains(":") else {
            throw RedisError(.invalidArgument, "bundle id `\(bundle)` must be non-empty and free of `:`")
        }
        var calls: [RedisScript.Call] = []
        calls.reserveCapacity(requests.count)
        for request in requests {
            try Self.validate(request)
            var arguments = [request.item, String(request.g3), String(request.groups.count)]
            for group in request.groups {
                arguments += [String(group.c1), String(group.c2), String(group.candidates.count)]
                arguments += group.candidates.map(String.init)
            }
            calls.append(
                RedisScript.Call(
                    keys: [keys.item(bundle: bundle, item: request.item)]
                        + request.groups.map { keys.sid3Group(bundle: bundle, c1: $0.c1, c2: $0.c2) },
                    arguments: arguments))
        }
        return try runInChunks(SIDClaimScript.script, calls: calls, decode: Self.decodeClaimReply)
    }

    static func validate(_ request: SIDClaimRequest) throws(RedisError) {
        func reject(_ why: String) -> RedisError {
            RedisError(.invalidArgument, "SID claim for item `\(request.item)`: \(why)")
        }
        guard !request.item.isEmpty else { throw reject("the item key is empty") }
        guard request.g3 >= 1 else { throw reject("g3 \(request.g3) must be >= 1") }
        guard !request.groups.isEmpty else { throw reject("no candidate group (the own group comes first)") }
        for group in request.groups {
            guard group.c1 >= 0, group.c2 >= 0 else { throw reject("c1 and c2 must be >= 0") }
            if let bad = group.candidates.first(where: { $0 < 0 || $0 >= request.g3 }) {
                throw reject("candidate \(bad) is outside 0..<\(request.g3)")
            }
        }
    }

    static func decodeClaimReply(_ reply: RedisValue) throws(RedisError) -> SIDClaim {
        if case .error(let message) = reply { throw RedisError(serverReply: message, command: "sid3 claim") }
        guard let parts = reply.array, parts.count == 5,
            let c1 = parts[0].integer, let c2 = parts[1].integer, let c3 = parts[2].integer,
            let fresh = parts[3].integer, let rank = parts[4].integer
        else {
            throw RedisError(
                .unexpectedReply, "sid3 claim answered \(reply), not {c1, c2, c3, newlyAssigned, groupRank}")
        }
        return SIDClaim(c1: Int(c1), c2: Int(c2), c3: Int(c3), newlyAssigned: fresh == 1, groupRank: Int(rank))
    }
}
