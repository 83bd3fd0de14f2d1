import Foundation
public import Tensor

/// The two SID generator architectures.
public enum GeneratorArchitecture: String, Sendable, Codable, CaseIterable {
    /// Decoder-only, next-token loss at every position (``CausalSIDGenerator``): the default,
    /// because it learns about 30 times more targets per FLOP.
    case causal
    /// The paper's T5-style encoder-decoder (``SIDGenerator``).
    case t5
}

/// A decoding session of either architecture: the beam search's ``BeamScorer`` after
/// ``start(histories:itemTokens:)`` has read a batch of histories.
public protocol SIDDecodingSession: BeamScorer, AnyObject {
    /// Reads `histories` (item indices, oldest first) and resets decoding to its first step.
    /// - Parameter itemTokens: `[items × levels]` token ids of the catalogue.
    func start(histories: [ArraySlice<Int32>], itemTokens: [Int32])
}

extension CausalDecoderSession: SIDDecodingSession {}

extension GeneratorDecoderSession: SIDDecodingSession {
    public func start(histories: [ArraySlice<Int32>], itemTokens: [Int32]) {
        start(
            SIDSequenceBatch(
                histories: histories, targets: nil, itemTokens: itemTokens, levels: weights.vocabulary.levels,
                historyLimit: weights.configuration.historyLimit))
    }
}

/// A SID generator of either architecture, as a bundle or checkpoint holds it.
public enum SIDGeneratorModel: Sendable {
    case t5(SIDGenerator)
    case causal(CausalSIDGenerator)

    public var architecture: GeneratorArchitecture {
        switch self {
        case .t5: .t5
        case .causal: .causal
        }
    }

    public var vocabulary: GeneratorVocabulary {
        switch self {
        case .t5(let model): model.vocabulary
        case .causal(let model): model.vocabulary
        }
    }

    /// Most history items read.
    public var historyLimit: Int {
        switch self {
        case .t5(let model): model.configuration.historyLimit
        case .causal(let model): model.configuration.historyLimit
        }
    }

    /// Whether the generator's softmax runs over the trie's children, so decoding must
    /// renormalise each step over them (``ConstrainedBeamSearch/normalizesOverChildren``).
    public var softmaxOverTrie: Bool {
        switch self {
        case .t5: false
        case .causal(let model): model.configuration.softmaxOverTrie
        }
    }

    /// A decoding session over a snapshot of the current parameters.
    public func makeSession() -> any SIDDecodingSession {
        switch self {
        case .t5(let model): GeneratorDecoderSession(model: model)
        case .causal(let model): CausalDecoderSession(model: model)
        }
    }

    /// Every parameter by name.
    public func namedTensors() -> [String: Tensor] {
        switch self {
        case .t5(let model): model.namedTensors()
        case .causal(let model): model.namedTensors()
        }
    }

    /// The metadata stored with the weights (its `format` names the architecture).
    public func metadata() throws -> [String: String] {
        switch self {
        case .t5(let model): try model.metadata()
        case .causal(let model): try model.metadata()
        }
    }

    /// Reads whichever architecture the file's `format` metadata names.
    /// - Throws: ``SequenceModelError/Code/invalidCheckpoint`` for an unknown format or a
    ///   malformed file.
    public init(contents: SafeTensors.Contents) throws {
        switch contents.metadata["format"] {
        case SIDGenerator.fileFormat: self = .t5(try SIDGenerator(contents: contents))
        case CausalSIDGenerator.fileFormat: self = .causal(try CausalSIDGenerator(contents: contents))
        case let other:
            throw SequenceModelError(
                .invalidCheckpoint,
                "generator format \(other ?? "missing") is neither \(CausalSIDGenerator.fileFormat) nor \(SIDGenerator.fileFormat)"
            )
        }
    }
}
