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
    public func claimSIDs(_ requests: [SIDClaimRequest], bundle: String, keys: RedisKeys) throws(RedisError)
        -> [SIDClaim]
    {
        guard !bundle.isEmpty, !bundle.contains(":") else {
            throw RedisError(.invalidArgument, "bundle id `\(bundle)` must be non-empty and free of `:`")
        }
        var calls: [RedisScript.Call] = []
        calls.reserveCapacity(requests.count)
        for request in requests {
            try Self.validate(request)
            calls.append(
                RedisScript.Call(
                    keys: [
                        keys.sid3Group(bundle: bundle, c1: request.c1, c2: request.c2),
                        keys.item(bundle: bundle, item: request.item),
                    ],
                    arguments: [request.item, String(request.c1), String(request.c2), String(request.g3)]
                        + request.candidates.map(String.init)))
        }
        return try runInChunks(SIDClaimScript.script, calls: calls, decode: Self.decodeClaimReply)
    }

    static func validate(_ request: SIDClaimRequest) throws(RedisError) {
        func reject(_ why: String) -> RedisError {
            RedisError(.invalidArgument, "SID claim for item `\(request.item)`: \(why)")
        }
        guard !request.item.isEmpty else { throw reject("the item key is empty") }
        guard request.c1 >= 0, request.c2 >= 0 else { throw reject("c1 and c2 must be >= 0") }
        guard request.g3 >= 1 else { throw reject("g3 \(request.g3) must be >= 1") }
        if let bad = request.candidates.first(where: { $0 < 0 || $0 >= request.g3 }) {
            throw reject("candidate \(bad) is outside 0..<\(request.g3)")
        }
    }

    static func decodeClaimReply(_ reply: RedisValue) throws(RedisError) -> SIDClaim {
        if case .error(let message) = reply { throw RedisError(serverReply: message, command: "sid3 claim") }
        guard let parts = reply.array, parts.count == 4,
            let c1 = parts[0].integer, let c2 = parts[1].integer, let c3 = parts[2].integer,
            let fresh = parts[3].integer
        else { throw RedisError(.unexpectedReply, "sid3 claim answered \(reply), not {c1, c2, c3, newlyAssigned}") }
        return SIDClaim(c1: Int(c1), c2: Int(c2), c3: Int(c3), newlyAssigned: fresh == 1)
    }
}
