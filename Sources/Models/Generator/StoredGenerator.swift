public import Foundation
public import Tensor

/// What both SID generators share on disk: safetensors weights named by `namedParameters()`,
/// with the architecture's `format`, its sizes and its vocabulary as JSON in the metadata.
public protocol StoredGenerator: Layer {
    associatedtype Configuration: Codable
    /// The `format` metadata value that names the architecture.
    static var fileFormat: String { get }
    var configuration: Configuration { get }
    var vocabulary: GeneratorVocabulary { get }
    init(configuration: Configuration, vocabulary: GeneratorVocabulary, seed: UInt64) throws
}

extension StoredGenerator {
    /// Every parameter by name, for a safetensors file or a bundle.
    public func namedTensors() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.name, $0.parameter.value) })
    }

    /// The metadata stored with the weights: format, sizes and vocabulary, as JSON strings.
    public func metadata() throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return [
            "format": Self.fileFormat,
            "configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
            "vocabulary": String(decoding: try encoder.encode(vocabulary), as: UTF8.self),
        ]
    }

    /// Writes weights and metadata as safetensors.
    public func save(to url: URL) throws {
        try SafeTensors.write(namedTensors(), metadata: metadata(), to: url)
    }

    /// Builds a generator from decoded safetensors contents written by ``save(to:)``.
    /// - Throws: ``SequenceModelError/Code/invalidCheckpoint`` naming the wrong format, or the
    ///   missing or misshapen tensor or metadata key.
    public init(contents: SafeTensors.Contents) throws {
        guard contents.metadata["format"] == Self.fileFormat else {
            throw SequenceModelError(
                .invalidCheckpoint,
                "metadata format is \(contents.metadata["format"] ?? "missing"), expected \(Self.fileFormat)")
        }
        let decoder = JSONDecoder()
        guard let configurationJSON = contents.metadata["configuration"],
            let vocabularyJSON = contents.metadata["vocabulary"],
            let configuration = try? decoder.decode(Configuration.self, from: Data(configurationJSON.utf8)),
            let vocabulary = try? decoder.decode(GeneratorVocabulary.self, from: Data(vocabularyJSON.utf8))
        else {
            throw SequenceModelError(
                .invalidCheckpoint,
                "metadata keys `configuration` and `vocabulary` must hold the JSON written by \(Self.self).save")
        }
        try self.init(configuration: configuration, vocabulary: vocabulary, seed: 0)
        for (name, parameter) in namedParameters() {
            guard let tensor = contents.tensors[name] else {
                throw SequenceModelError(.invalidCheckpoint, "tensor `\(name)` is missing")
            }
            guard tensor.shape == parameter.shape else {
                throw SequenceModelError(
                    .invalidCheckpoint, "tensor `\(name)` has shape \(tensor.shape), expected \(parameter.shape)")
            }
            parameter.value = tensor
        }
    }
}
