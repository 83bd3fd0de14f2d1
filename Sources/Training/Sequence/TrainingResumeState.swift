import Foundation
import Models
import Tensor

/// A trainer's counters, saved beside the tensors of a ``TrainingResumeState``.
protocol ResumableLoop: Codable {
    /// The state file's format tag; a file with another tag is refused.
    static var format: String { get }
    /// The settings that decide the run's trajectory; resuming under others is refused.
    var fingerprint: String { get }
    var parameterShapes: [[Int]] { get }
}

/// Everything a training run needs to continue after an interruption exactly where it stood:
/// the parameters, AdamW's moments, the best parameters so far and the trainer's counters
/// (``SequenceTrainingLoop`` for the next-item models, ``FAMAETrainingLoop`` for FAMAE).
///
/// Dropout masks and negatives are drawn from streams per step and worker and each epoch's
/// window order from `(seed, epoch)`, so no random state needs saving: a run resumed on the same
/// thread count continues bit for bit (a test checks this). Written atomically as one
/// safetensors file (`<name>-resume.safetensors` in the checkpoint directory).
struct TrainingResumeState<Loop: ResumableLoop> {
    var loop: Loop
    var parameters: [Tensor]
    var best: [Tensor]
    var adamSteps: Int
    var firstMoments: [Tensor]
    var secondMoments: [Tensor]

    static func url(directory: String, model: String) -> URL {
        URL(fileURLWithPath: directory).appendingPathComponent("\(model)-resume.safetensors")
    }

    func write(to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (i, t) in parameters.enumerated() { tensors["parameter.\(i)"] = t }
        for (i, t) in best.enumerated() { tensors["best.\(i)"] = t }
        for (i, t) in firstMoments.enumerated() { tensors["adam.m.\(i)"] = t }
        for (i, t) in secondMoments.enumerated() { tensors["adam.v.\(i)"] = t }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SafeTensors.write(
            tensors,
            metadata: [
                "format": Loop.format,
                "loop": String(decoding: try encoder.encode(loop), as: UTF8.self),
                "adam_steps": String(adamSteps),
            ], to: url)
    }

    /// Reads a state and checks it belongs to this run.
    /// - Throws: ``SequenceModelError/Code/invalidCheckpoint`` naming what differs and how to
    ///   start afresh.
    init(contentsOf url: URL, fingerprint: String, shapes: [[Int]]) throws {
        let contents = try SafeTensors.read(url)
        guard contents.metadata["format"] == Loop.format, let loopJSON = contents.metadata["loop"],
            let adamSteps = contents.metadata["adam_steps"].flatMap(Int.init),
            let loop = try? JSONDecoder().decode(Loop.self, from: Data(loopJSON.utf8))
        else {
            throw SequenceModelError(
                .invalidCheckpoint,
                "\(url.path) is not a training state written by this version; delete it to start afresh")
        }
        guard loop.parameterShapes == shapes else {
            throw SequenceModelError(
                .invalidCheckpoint,
                "\(url.path) holds a model of another shape; delete it or point --checkpoint-dir elsewhere")
        }
        guard loop.fingerprint == fingerprint else {
            throw SequenceModelError(
                .invalidCheckpoint,
                "\(url.path) was written with other training settings (\(loop.fingerprint)); resume with the same settings or delete it"
            )
        }
        func list(_ prefix: String) throws -> [Tensor] {
            try shapes.indices.map { i in
                let tensor = try contents.tensor("\(prefix).\(i)")
                guard tensor.shape == shapes[i] else {
                    throw SequenceModelError(
                        .invalidCheckpoint,
                        "\(url.path): \(prefix).\(i) has shape \(tensor.shape), expected \(shapes[i])")
                }
                return tensor
            }
        }
        self.loop = loop
        self.adamSteps = adamSteps
        parameters = try list("parameter")
        best = try list("best")
        firstMoments = try list("adam.m")
        secondMoments = try list("adam.v")
    }

    init(
        loop: Loop, parameters: [Tensor], best: [Tensor], adamSteps: Int, firstMoments: [Tensor],
        secondMoments: [Tensor]
    ) {
        self.loop = loop
        self.parameters = parameters
        self.best = best
        self.adamSteps = adamSteps
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}
