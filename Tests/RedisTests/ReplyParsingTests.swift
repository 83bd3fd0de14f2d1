import Testing

@testable import Redis

/// RESP2 replies parsed by hiredis' reader and copied into ``RedisValue``; no server involved.
@Suite("Reply parsing")
struct ReplyParsingTests {
    private func parse(_ text: String) throws -> [RedisValue] {
        try RedisValue.parseReplies(Array(text.utf8))
    }

    @Test("every RESP2 type becomes the matching RedisValue")
    func scalarTypes() throws {
        let values = try parse("+OK\r\n-ERR boom\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n")
        #expect(
            values == [
                .status("OK"), .error("ERR boom"), .integer(42), .integer(-7),
                .bulkString(Array("hello".utf8)), .bulkString([]), .null, .null,
            ])
    }

    @Test("nested arrays keep order and nulls")
    func nestedArrays() throws {
        let values = try parse("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n*0\r\n")
        #expect(values == [.array([.integer(1), .array([.bulkString([97]), .null]), .array([])])])
        #expect(values[0].array?[1].array?[0].string == "a")
    }

    @Test("bulk strings are binary-safe")
    func binaryBulk() throws {
        let bytes: [UInt8] = Array("$4\r\n".utf8) + [0, 0x1F, 0xFF, 10] + Array("\r\n".utf8)
        #expect(try RedisValue.parseReplies(bytes) == [.bulkString([0, 0x1F, 0xFF, 10])])
    }

    @Test("accessors convert where RESP allows")
    func accessors() {
        #expect(RedisValue.bulkString(Array("12".utf8)).integer == 12)
        #expect(RedisValue.status("PONG").string == "PONG")
        #expect(RedisValue.integer(3).string == nil)
        #expect(RedisValue.error("NOSCRIPT x").errorMessage == "NOSCRIPT x")
    }

    @Test("malformed input is a protocolError, truncated input an unexpectedReply")
    func malformed() {
        #expect(parseError("?what\r\n") == .protocolError)
        #expect(parseError("$10\r\nshort\r\n") == .unexpectedReply)
    }

    private func parseError(_ text: String) -> RedisError.Code? {
        do {
            _ = try RedisValue.parseReplies(Array(text.utf8))
            return nil
        } catch {
            return error.code
        }
    }

    @Test("commands pack their arguments and report them back")
    func commandPacking() {
        var command = RedisCommand("EVALSHA", "abc", "1")
        command.append(42)
        command.append("")
        command.append(bytes: [0xE2, 0x82, 0xAC])
        #expect(command.count == 6)
        #expect(command.name == "EVALSHA")
        #expect(command.arguments == ["EVALSHA", "abc", "1", "42", "", "€"])
    }
}
