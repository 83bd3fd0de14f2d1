import Redis
import Testing
import Tokenizer

@testable import ServingState

/// The serving-state scripts' replies and arguments on the client side: typed decoding of
/// replies and validation of requests before anything is sent; no server involved.
@Suite("Serving-state script replies and arguments")
struct ScriptArgumentTests {
    @Test("script replies decode into typed results, and bad shapes are rejected")
    func scriptReplies() throws {
        let prefix = try RedisConnection.decodePrefixReply(.array([.integer(1), .bulkString(Array("a\u{1F}b".utf8))]))
        #expect(prefix == PrefixUpdate(applied: true, items: ["a", "b"]))
        #expect(try RedisConnection.decodePrefixReply(.array([.integer(0), .bulkString([])])).items.isEmpty)
        #expect(throws: RedisError.self) { try RedisConnection.decodePrefixReply(.integer(1)) }
        let claim = try RedisLevel3Claimer.decodeClaimReply(
            .array([.integer(3), .integer(7), .integer(9), .integer(0), .integer(2)]))
        #expect(claim == Level3Claim(sid: SemanticID(3, 7, 9), newlyAssigned: false, groupRank: 2))
        #expect(claim.spilled)
        #expect(throws: RedisError.self) {
            try RedisLevel3Claimer.decodeClaimReply(.array([.integer(3), .integer(7), .integer(9), .integer(0)]))
        }
        // A server error that is not the script's own refusal stays a RedisError; the script's
        // refusal is a ServingStateError naming the argument.
        #expect(throws: RedisError.self) { try RedisLevel3Claimer.decodeClaimReply(.error("ERR nope")) }
        let refusal = #expect(throws: ServingStateError.self) {
            try RedisConnection.decodePrefixReply(
                .error("ERR prefix script: ARGV[3] offset must be an integer in 0...2^53"), subject: "event e")
        }
        #expect(refusal?.code == .rejectedByScript)
        #expect(refusal?.field == "ARGV[3]")
        #expect(refusal?.description.contains("event e") == true)
    }

    @Test("malformed events and claims are rejected before anything is sent, naming the field")
    func validation() {
        func field(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as ServingStateError {
                #expect(error.code == .invalidRequest)
                return error.field
            } catch {
                Issue.record("expected a ServingStateError, got \(error)")
                return nil
            }
        }
        #expect(
            field { try RedisConnection.validate(PrefixEvent(user: "u", item: "a\u{1F}b", partition: 0, offset: 1)) }
                == "item")
        #expect(
            field { try RedisConnection.validate(PrefixEvent(user: "u", item: "a", partition: 0, offset: -1)) }
                == "offset")
        #expect(
            field { try RedisConnection.validate(PrefixEvent(user: "u", item: "a", partition: -2, offset: 1)) }
                == "partition")
        // Claim requests are checked by the rule every claimer shares (the Redis claimer's
        // refusal of a whole batch is tested against a server).
        let outside = Level3ClaimRequest(item: "i", groups: [Level3CandidateGroup(c1: 0, c2: 0, candidates: [4])])
        #expect(outside.problem(capacity: 4)?.field == "groups[0].candidates")
        #expect(Level3ClaimRequest(item: "i", groups: []).problem(capacity: 4)?.field == "groups")
        #expect(outside.problem(capacity: 5) == nil)
    }
}
