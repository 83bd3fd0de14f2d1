import Foundation

/// A bootstrap broker address, `host:port`.
public struct KafkaBrokerAddress: Hashable, Sendable, CustomStringConvertible {
    /// Host name or IP address (IPv6 in brackets, as librdkafka expects).
    public var host: String
    /// TCP port.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }

    /// Parses a comma-separated `host:port` list, as in `bootstrap.servers`.
    ///
    /// librdkafka accepts any string here and only fails later with "no brokers", so a typo is
    /// caught up front instead.
    /// - Parameters:
    ///   - text: for example `127.0.0.1:9092,broker2:9092`.
    ///   - key: the configuration key to name in errors.
    /// - Throws: ``KafkaError`` `.invalidConfiguration` naming `key` and the bad entry.
    public static func parseList(_ text: String, key: String = "kafka.bootstrap") throws -> [KafkaBrokerAddress] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !entries.isEmpty, !entries.contains(where: \.isEmpty) else {
            throw KafkaError.invalidConfiguration(
                key: key, "expected a comma-separated list of host:port, got '\(text)'")
        }
        return try entries.map { entry in
            guard let colon = entry.lastIndex(of: ":") else {
                throw KafkaError.invalidConfiguration(
                    key: key, "'\(entry)' has no port; write host:port (for example 127.0.0.1:9092)")
            }
            let host = String(entry[..<colon])
            let portText = entry[entry.index(after: colon)...]
            guard let port = Int(portText), (1...65_535).contains(port) else {
                throw KafkaError.invalidConfiguration(
                    key: key, "'\(entry)' has an invalid port '\(portText)'; use 1-65535")
            }
            let hostCharacters = host.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._[]:".unicodeScalars.contains($0)
            }
            guard !host.isEmpty, hostCharacters else {
                throw KafkaError.invalidConfiguration(key: key, "'\(entry)' has an invalid host '\(host)'")
            }
            return KafkaBrokerAddress(host: host, port: port)
        }
    }
}

extension Array where Element == KafkaBrokerAddress {
    /// The `bootstrap.servers` form of the list.
    var bootstrapServers: String { map(\.description).joined(separator: ",") }
}
