import Data
import Foundation
import Models
import Tensor
import Training

extension ComparisonRun {
    /// The shared FAMAE's item vectors and the note the SID rows carry about it: trained here
    /// (saved under `directory`, its training resumable at each epoch), or loaded when resuming
    /// after it finished, so an interrupted comparison does not train it twice.
    func sharedFAMAEVectors(
        _ prepared: PreparedDataset, directory: String?, log: @escaping (String) -> Void
    ) throws -> (Tensor, String) {
        let saved = directory.map { URL(fileURLWithPath: $0).appendingPathComponent("famae.safetensors") }
        if resume, let saved, FileManager.default.fileExists(atPath: saved.path) {
            let famae = try FAMAEModel.load(from: saved)
            log("FAMAE: loaded \(saved.path)")
            return (famae.itemVectors(), "shared FAMAE loaded from \(saved.lastPathComponent)")
        }
        let trained = try famae.train(
            items: prepared.items, split: prepared.split, threads: sequence.threads, seed: sequence.seed,
            checkpointDirectory: directory, resume: resume, log: log)
        let vectors = trained.model.itemVectors()
        if let saved {
            try FileManager.default.createDirectory(
                at: saved.deletingLastPathComponent(), withIntermediateDirectories: true)
            try trained.model.save(to: saved, metadata: ["dataset": prepared.name])
        }
        // The vectors every quantiser sees, for `resid tokenize --vectors` diagnostics.
        let vectorsURL = URL(fileURLWithPath: report).deletingPathExtension().appendingPathExtension(
            "\(prepared.name).famae-vectors.safetensors")
        try SafeTensors.write(
            ["vectors": vectors], metadata: ["dataset": prepared.name, "synthetic": String(prepared.isSynthetic)],
            to: vectorsURL)
        let note =
            "shared FAMAE took \(Int(trained.seconds)) s more (best epoch \(trained.report.bestEpoch), stop \(trained.report.stopReason), validation Metric1 R@10 \(String(format: "%.4f", trained.metrics.metric1)), Metric2 R@10 \(String(format: "%.4f", trained.metrics.metric2)))"
        return (vectors, note)
    }
}
