import CRdKafka
import Foundation
import Glibc

/// The names of every configuration property this librdkafka build knows, read from
/// librdkafka itself (`rd_kafka_conf_properties_show`), so that `kafka.librdkafka.*` keys can be
/// looked up in a `ConfigReader`, which cannot list its keys.
public enum LibrdkafkaProperties {
    public static let names: [String] = {
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return [] }
        rd_kafka_conf_properties_show(stream)
        fclose(stream)
        guard let buffer else { return [] }
        defer { free(buffer) }
        let text = String(cString: buffer)
        // Table rows look like "bootstrap.servers | * | ... ": the first column is the name.
        var names: [String] = []
        for line in text.split(separator: "\n") {
            guard let bar = line.firstIndex(of: "|") else { continue }
            let name = line[..<bar].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name != "Property", !name.hasPrefix("-"),
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" })
            else { continue }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }()
}
