import Data
import Models
import Tensor

/// One optimiser step's gradients computed by several threads: each worker owns a replica of the
/// model (parameters sharing the master's values copy-on-write), takes a contiguous share of the
/// batch, and back-propagates its own graph; the shards' gradients are then combined into the
/// master's, weighted by the targets each shard taught, so the result is the gradient of the
/// mean loss over the whole batch, as one thread would compute it (up to float rounding).
///
/// OpenBLAS runs one thread per worker while the workers run: at these matrix sizes (d = 128)
/// splitting the batch keeps both cores busier than splitting each GEMM.
final class DataParallelGradients<Model: SequenceTrainable> {
    /// The master model first, then one replica per further worker.
    let replicas: [Model]

    /// - Parameter workers: threads (at least 1; 1 computes on the master alone).
    init(model: Model, workers: Int) throws {
        var replicas = [model]
        for _ in 1..<max(1, workers) { replicas.append(try model.replica()) }
        self.replicas = replicas
    }

    var workers: Int { replicas.count }

    /// Computes the gradient of the mean loss over `windows` into the master's parameters.
    ///
    /// - Parameter mode: worker index → its forward mode (dropout stream).
    /// - Returns: the batch's mean loss, input positions read, and targets taught.
    func compute(
        windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: (Int) -> ForwardMode
    ) throws -> (loss: Double, tokens: Int, targets: Int) {
        let master = replicas[0]
        let shards = Self.shards(windows, count: min(workers, windows.count))
        for replica in replicas.dropFirst() { replica.copyValues(from: master) }
        let modes = shards.indices.map(mode)
        let work = UncheckedReplicas(replicas)
        let results = try ParallelWork.map(count: shards.count, workers: shards.count) { worker -> ShardResult in
            var workerMode = modes[worker]
            let batch = try work.models[worker].loss(windows: shards[worker], split: split, mode: &workerMode)
            batch.loss.backward()
            return ShardResult(loss: Double(batch.loss.value.scalar), tokens: batch.tokens, targets: batch.targets)
        }
        let targets = results.reduce(0) { $0 + $1.targets }
        let weights = results.map { Float(Double($0.targets) / Double(max(1, targets))) }
        if results.count > 1 { reduce(weights: weights) }
        let loss = zip(results, weights).reduce(0.0) { $0 + $1.0.loss * Double($1.1) }
        return (loss, results.reduce(0) { $0 + $1.tokens }, targets)
    }

    /// `master.grad = Σ weight[w] · replica[w].grad`, in the master's buffer; replicas' gradients
    /// are released.
    private func reduce(weights: [Float]) {
        for index in replicas[0].parameters.indices {
            var combined: Tensor?
            for (worker, replica) in replicas.prefix(weights.count).enumerated() {
                let parameter = replica.parameters[index]
                // Taking the gradient out of the variable leaves this the only reference, so
                // scaling it in place copies nothing.
                guard var gradient = parameter.grad else { continue }
                parameter.grad = nil
                if combined == nil {
                    let weight = weights[worker]
                    gradient.withUnsafeMutableBufferPointer { p in
                        for i in p.indices { p[i] *= weight }
                    }
                    combined = gradient
                } else {
                    combined!.withUnsafeMutableBufferPointer { target in
                        gradient.withUnsafeBufferPointer { source in
                            BLAS.saxpy(count: target.count, alpha: weights[worker], x: source.baseAddress!, y: target.baseAddress!)
                        }
                    }
                }
            }
            replicas[0].parameters[index].grad = combined
        }
    }

    /// `windows` cut into `count` contiguous shards of near-equal size.
    static func shards(_ windows: ArraySlice<SampleReference>, count: Int) -> [ArraySlice<SampleReference>] {
        let count = max(1, count)
        let base = windows.count / count
        let extra = windows.count % count
        var start = windows.startIndex
        return (0..<count).map { shard in
            let size = base + (shard < extra ? 1 : 0)
            defer { start += size }
            return windows[start..<(start + size)]
        }
    }

    private struct ShardResult: Sendable {
        var loss: Double
        var tokens: Int
        var targets: Int
    }

    /// Each worker touches only its own replica (its graph, its gradients), and the master's
    /// parameter values are only read while the workers run, which is why the models may cross
    /// threads here.
    private final class UncheckedReplicas: @unchecked Sendable {
        let models: [Model]
        init(_ models: [Model]) { self.models = models }
    }
}
