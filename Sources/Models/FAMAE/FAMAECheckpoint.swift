public import Foundation
public import Tensor

/// Saving and loading a FAMAE model as one safetensors file.
///
/// Tensors: every parameter under its ``FAMAEModel/namedParameters`` name, plus the catalogue's
/// codes as `catalog.<field>.codes` and `catalog.<field>.offsets` (stored as F32, exact for
/// integers below 2²⁴). Metadata: `format` = `famae/1` and `config` = the configuration as JSON,
/// so a PyTorch user can read both.
extension FAMAEModel {
    /// The checkpoint format tag in the file's metadata.
    public static let checkpointFormat = "famae/1"

    /// Writes the model to `url` atomically.
    /// - Parameter metadata: extra string metadata (dataset name, metrics...).
    /// - Throws: ``SafeTensorsError`` for I/O failures.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters() { tensors[name] = parameter.value }
        for (field, description) in configuration.fields.enumerated() {
            tensors["catalog.\(description.name).codes"] = Tensor(
                shape: [catalog.codes[field].count], elements: catalog.codes[field].map(Float.init))
            tensors["catalog.\(description.name).offsets"] = Tensor(
                shape: [catalog.offsets[field].count], elements: catalog.offsets[field].map(Float.init))
        }
        let config = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        var all = metadata
        all["format"] = Self.checkpointFormat
        all["config"] = config
        try SafeTensors.write(tensors, metadata: all, to: url)
    }

    /// Reads a model written by ``save(to:metadata:)``.
    /// - Throws: ``FAMAEError/Code/invalidCheckpoint`` naming the missing or malformed part;
    ///   ``SafeTensorsError`` when the file cannot be read.
    public static func load(from url: URL) throws -> FAMAEModel {
        let contents = try SafeTensors.read(url)
        guard contents.metadata["format"] == checkpointFormat, let config = contents.metadata["config"] else {
            throw FAMAEError(
                .invalidCheckpoint,
                "\(url.path): metadata lacks format=\(checkpointFormat) and config; not a FAMAE checkpoint")
        }
        let configuration: FAMAEConfiguration
        do {
            configuration = try JSONDecoder().decode(FAMAEConfiguration.self, from: Data(config.utf8))
        } catch {
            throw FAMAEError(.invalidCheckpoint, "\(url.path): config metadata is not a FAMAE configuration: \(error)")
        }
        var catalog = FAMAEItemCodes(fieldCount: configuration.fieldCount)
        var columns: [(codes: [Int32], offsets: [Int])] = []
        for field in configuration.fields {
            guard let codes = contents.tensors["catalog.\(field.name).codes"],
                let offsets = contents.tensors["catalog.\(field.name).offsets"]
            else {
                throw FAMAEError(.invalidCheckpoint, "\(url.path): catalogue of field \(field.name) is missing")
            }
            let offsetValues = offsets.elements.map { Int($0) }
            guard offsetValues.first == 0, offsetValues.last == codes.count,
                zip(offsetValues, offsetValues.dropFirst()).allSatisfy({ $0 <= $1 })
            else {
                throw FAMAEError(
                    .invalidCheckpoint, "\(url.path): catalogue offsets of field \(field.name) are malformed")
            }
            columns.append((codes.elements.map { Int32($0) }, offsetValues))
        }
        let itemCount = columns.first.map { $0.offsets.count - 1 } ?? 0
        guard columns.allSatisfy({ $0.offsets.count - 1 == itemCount }) else {
            throw FAMAEError(.invalidCheckpoint, "\(url.path): catalogue fields disagree on the item count")
        }
        for item in 0..<itemCount {
            catalog.append(columns.map { $0.codes[$0.offsets[item]..<$0.offsets[item + 1]] })
        }
        let model = try FAMAEModel(configuration: configuration, catalog: catalog, seed: 0)
        for (name, parameter) in model.namedParameters() {
            guard let value = contents.tensors[name] else {
                throw FAMAEError(.invalidCheckpoint, "\(url.path): tensor \(name) is missing")
            }
            guard value.shape == parameter.value.shape else {
                throw FAMAEError(
                    .invalidCheckpoint,
                    "\(url.path): tensor \(name) has shape \(value.shape), expected \(parameter.value.shape)")
            }
            parameter.value = value
        }
        return model
    }

    /// Copies every parameter value (for keeping the best model during training).
    public func snapshot() -> [Tensor] { parameters.map(\.value) }

    /// Restores values taken by ``snapshot()``.
    public func restore(_ values: [Tensor]) {
        for (parameter, value) in zip(parameters, values) { parameter.value = value }
    }
}
