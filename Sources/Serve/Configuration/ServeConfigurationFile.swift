/// Writes a `Config/resid.yaml`-shaped file for a daemon pointed at given servers: what
/// benchmarks, the demo and tests hand to `resid serve` child processes.
public struct ServeConfigurationFile: Sendable {
    /// `host:port[,host:port...]` of the brokers.
    public var bootstrap: String
    /// `redis://host:port`.
    public var redisURL: String
    /// The Redis key namespace.
    public var namespace: String
    /// The consumer group of the daemons.
    public var groupID: String
    /// `name:share:path` entries.
    public var variants: [String]
    /// Topic names.
    public var topics = ServeTopics()
    /// Absolute path of the topic list (schemas).
    public var topicList: String
    /// The instance name.
    public var instanceID: String
    /// Consumer session timeout (the embedded broker needs >= 4000).
    public var sessionTimeoutMilliseconds = 4000
    /// Producer linger.
    public var lingerMilliseconds = 0
    /// librdkafka properties for consumer and producer (`kafka.librdkafka.*`).
    public var librdkafka: [(String, String)] = []
    /// Extra `serve.*` settings (key below `serve.`, value as YAML scalar), e.g. `topK: "10"`.
    public var serveSettings: [(String, String)] = []

    /// Creates a file description.
    public init(
        bootstrap: String, redisURL: String, namespace: String, groupID: String, variants: [String], topicList: String,
        instanceID: String
    ) {
        self.bootstrap = bootstrap
        self.redisURL = redisURL
        self.namespace = namespace
        self.groupID = groupID
        self.variants = variants
        self.topicList = topicList
        self.instanceID = instanceID
    }

    /// The YAML text.
    public var yaml: String {
        var lines = [
            "kafka:", "  bootstrap: \(bootstrap)", "  consumer:", "    groupId: \(groupID)",
            "    sessionTimeoutMs: \(sessionTimeoutMilliseconds)", "    heartbeatIntervalMs: 500",
            "  producer:", "    lingerMs: \(lingerMilliseconds)",
        ]
        if !librdkafka.isEmpty {
            lines += ["  librdkafka:"] + librdkafka.map { "    \($0.0): \"\($0.1)\"" }
        }
        lines += [
            "redis:", "  url: \(redisURL)", "  namespace: \(namespace)",
            "serve:", "  variants:",
        ]
        lines += variants.map { "    - \($0)" }
        lines += [
            "  httpPort: 0", "  topicList: \(topicList)", "  instanceId: \(instanceID)", "  topics:",
            "    items: \(topics.items)", "    interactions: \(topics.interactions)",
            "    predictions: \(topics.predictions)",
            "    itemSids: \(topics.itemSIDs)", "    deadLetter: \(topics.deadLetter)",
        ]
        lines += serveSettings.map { "  \($0.0): \($0.1)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
