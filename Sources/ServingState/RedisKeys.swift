/// The Redis key layout of ReSID Stream, under one namespace.
///
/// - `resid:{ns}:prefix:{user}`: the user's recent items and applied-event watermarks
///   (see ``PrefixScript``).
/// - `resid:{ns}:sid3:{bundle}:{c1}:{c2}`: level-3 codes claimed online in one (c1, c2) group.
/// - `resid:{ns}:item:{bundle}:{item}`: an item's SID as `c1:c2:c3` (see ``SIDClaimScript``).
///
/// User and item keys come last in their keys, so they may contain `:`; the namespace and the
/// bundle id may not.
public struct RedisKeys: Sendable, Hashable {
    /// The `{ns}` part.
    public let namespace: String
    private let base: String

    /// Creates the layout for a namespace (validated by ``RedisConfiguration``).
    public init(namespace: String) {
        self.namespace = namespace
        base = "resid:\(namespace):"
    }

    /// `resid:{ns}:prefix:{user}`.
    public func prefix(user: String) -> String { base + "prefix:" + user }

    /// `resid:{ns}:sid3:{bundle}:{c1}:{c2}`.
    public func sid3Group(bundle: String, c1: Int, c2: Int) -> String {
        base + "sid3:" + bundle + ":" + String(c1) + ":" + String(c2)
    }

    /// `resid:{ns}:uptake`: applied interactions per online item (see ``PrefixScript``).
    public var uptake: String { base + "uptake" }

    /// `resid:{ns}:item:{bundle}:{item}`.
    public func item(bundle: String, item: String) -> String { base + "item:" + bundle + ":" + item }
}
