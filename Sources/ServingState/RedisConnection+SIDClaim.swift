public import Redis

extension RedisConnection {
    /// Claims SIDs for items, `pipelineDepth` items per round trip. Idempotent: an item that
    /// already has an SID gets it back unchanged, so a retried call is harmless.
    /// - Parameters:
    ///   - requests: One request per item.
    ///   - bundle: The bundle id (no `:`); SIDs are per bundle.
    ///   - keys: The key layout.
    /// - Returns: One ``SIDClaim`` per request, in order.
    /// - Throws: ``ServingStateError``: `invalidRequest` for a malformed request or bundle id
    ///   (nothing sent), `rejectedByScript` if the script refuses one; ``RedisError`` for
    ///   connection and protocol failures and other server errors.
    public func claimSIDs(
        _ requests: [SIDClaimRequest], bundle: String, keys: RedisKeys
    ) throws -> [SIDClaim] {
        guard !bundle.isEmpty, !bundle.contains(":") else {
            throw ServingStateError(
                .invalidRequest, "SID claim", field: "bundle",
                problem: "bundle id `\(bundle)` is empty or contains `:`",
                fix: "claim under the manifest's bundle id, which `resid pipeline` writes without `:`")
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
        let replies = try runInChunks(SIDClaimScript.script, calls: calls) { $0 }
        return try zip(requests, replies).map { request, reply in
            try Self.decodeClaimReply(reply, subject: Self.subject(request))
        }
    }

    static func subject(_ request: SIDClaimRequest) -> String { "SID claim for item `\(request.item)`" }

    static func validate(_ request: SIDClaimRequest) throws(ServingStateError) {
        func reject(_ field: String, _ problem: String, _ fix: String) -> ServingStateError {
            ServingStateError(.invalidRequest, subject(request), field: field, problem: problem, fix: fix)
        }
        guard !request.item.isEmpty else { throw reject("item", "the item key is empty", "give every item a key") }
        guard request.g3 >= 1 else {
            throw reject("g3", "\(request.g3) is below 1", "pass the codebook's level-3 size")
        }
        guard !request.groups.isEmpty else {
            throw reject("groups", "no candidate group", "list the item's own (c1, c2) group first")
        }
        for (index, group) in request.groups.enumerated() {
            guard group.c1 >= 0, group.c2 >= 0 else {
                throw reject(
                    "groups[\(index)]", "c1 \(group.c1) or c2 \(group.c2) is negative",
                    "pass the codes the frozen codebook placed the item at")
            }
            if let bad = group.candidates.first(where: { $0 < 0 || $0 >= request.g3 }) {
                throw reject(
                    "groups[\(index)].candidates", "candidate \(bad) is outside 0..<\(request.g3)",
                    "offer only trained level-3 codes; overflow codes are the script's to hand out")
            }
        }
    }

    /// One reply of the claim script; an error reply becomes ``ServingStateError`` (the
    /// script's own refusal) or ``RedisError``.
    static func decodeClaimReply(_ reply: RedisValue, subject: String = "SID claim") throws -> SIDClaim {
        if case .error(let message) = reply {
            throw ServingStateError.scriptReply(message, tag: "sid3 claim", subject: subject)
        }
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
