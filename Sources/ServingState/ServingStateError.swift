import Redis

/// A request the serving-state scripts refuse: a prefix event or a level-3 claim whose fields
/// break the scripts' contract, caught before anything is sent (or, when only the server can
/// tell, reported by the script itself).
///
/// Kept apart from ``RedisError``, which stays for the transport and the protocol (no server,
/// a timeout, a malformed reply): those may go away on a retry, a refused request never does,
/// so a caller that waits out outages on retriable ``RedisError``s passes these straight on.
public struct ServingStateError: Error, Sendable, CustomStringConvertible {
    /// What kind of refusal this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case invalidRequest, rejectedByScript, inconsistentState
        }
        fileprivate let value: Value

        /// A field of the request is malformed; nothing was sent.
        public static let invalidRequest = Code(value: .invalidRequest)
        /// The Lua script refused the call (an argument it checks, or a stored value it cannot
        /// read).
        public static let rejectedByScript = Code(value: .rejectedByScript)
        /// The caller's own state contradicts the allocation rules (for example a frozen SID
        /// on an overflow code, which the claim store cannot see).
        public static let inconsistentState = Code(value: .inconsistentState)

        public var description: String { value.rawValue }
    }

    /// What kind of refusal this is.
    public var code: Code
    /// What was refused: the request (`prefix event for user `u``, `SID claim for item `i``).
    public var subject: String
    /// The field at fault, as the request spells it (`offset`, `groups[1].candidates`).
    public var field: String
    /// What is wrong with it.
    public var problem: String
    /// How to fix it.
    public var fix: String

    /// Creates an error.
    public init(_ code: Code, _ subject: String, field: String, problem: String, fix: String) {
        self.code = code
        self.subject = subject
        self.field = field
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        "ServingStateError.\(code): \(subject): \(field): \(problem); \(fix)"
    }
}

extension ServingStateError {
    /// The error for a script reply that is an error reply. The script's own refusals (their
    /// messages start with `ERR <tag>:`) become ``Code/rejectedByScript``; anything else the
    /// server answered (`WRONGTYPE`, `OOM`, `BUSY`, ...) stays a ``RedisError``, retriable where
    /// the server's state may change.
    /// - Parameters:
    ///   - message: The server's error message.
    ///   - tag: The script's message prefix after `ERR ` (`prefix script`, `sid3 claim`).
    ///   - subject: The refused request.
    static func scriptReply(_ message: String, tag: String, subject: String) -> any Error {
        let own = "ERR \(tag): "
        guard message.hasPrefix(own) else { return RedisError(serverReply: message, command: tag) }
        let detail = message.dropFirst(own.count)
        // The scripts name their arguments `ARGV[n] name ...` or a key; the first words say which.
        let field = detail.hasPrefix("ARGV[") ? String(detail.prefix { $0 != " " }) : "arguments"
        return ServingStateError(
            .rejectedByScript, subject, field: field, problem: String(detail),
            fix: "the client checks these fields before sending, so the deployed script and this client disagree "
                + "or the stored value was written by something else: rebuild the daemons from one revision, "
                + "or repair the key the message names")
    }
}
