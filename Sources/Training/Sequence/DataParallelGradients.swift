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
final class DataParallelGradients<Replica: AnyObject> {
    /// The master model first, then one replica per further worker.
    let replicas: [Replica]
    private let parameters: (Replica) -> [Parameter]

    /// - Parameters:
    ///   - master: the model the optimiser updates.
    ///   - workers: threads (at least 1; 1 computes on the master alone).
    ///   - parameters: a model's parameters, in the same order for every replica.
    ///   - replicate: a new model of the master's architecture (its values are overwritten).
    init(
        master: Replica, workers: Int, parameters: @escaping (Replica) -> [Parameter], replicate: () throws -> Replica
    ) throws {
        var replicas = [master]
        for _ in 1..<max(1, workers) { replicas.append(try replicate()) }
        self.replicas = replicas
        self.parameters = parameters
    }

    var workers: Int { replicas.count }

    /// Computes the gradient of the mean loss over `items` into the master's parameters.
    ///
    /// - Parameter shardLoss: a replica's loss on its shard; the `Int` is the worker index (for
    ///   its own random streams). Called concurrently, once per worker, each call with its own
    ///   replica.
    /// - Returns: the batch's mean loss, input positions read, and targets taught.
    func compute<Item: Sendable>(
        _ items: ArraySlice<Item>, shardLoss: (Replica, ArraySlice<Item>, Int) throws -> BatchLoss
    ) throws -> (loss: Double, tokens: Int, targets: Int) {
        let masterParameters = parameters(replicas[0])
        for replica in replicas.dropFirst() {
            for (p, v) in zip(parameters(replica), masterParameters) { p.value = v.value }
        }
        let shards = Self.shards(items, count: min(workers, items.count))
        let results = try withoutActuallyEscaping(shardLoss) { shardLoss in
            let work = UncheckedWork(replicas: replicas, shardLoss: shardLoss)
            return try ParallelWork.map(count: shards.count, workers: shards.count) { worker -> ShardResult in
                let batch = try work.shardLoss(work.replicas[worker], shards[worker], worker)
                batch.loss.backward()
                return ShardResult(loss: Double(batch.loss.value.scalar), tokens: batch.tokens, targets: batch.targets)
            }
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
        let lists = replicas.prefix(weights.count).map(parameters)
        for index in lists[0].indices {
            var combined: Tensor?
            for (worker, list) in lists.enumerated() {
                let parameter = list[index]
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
                            BLAS.saxpy(
                                count: target.count, alpha: weights[worker], x: source.baseAddress!,
                                y: target.baseAddress!)
                        }
                    }
                }
            }
            lists[0][index].grad = combined
        }
    }

    /// `items` cut into `count` contiguous shards of near-equal size.
    static func shards<Item>(_ items: ArraySlice<Item>, count: Int) -> [ArraySlice<Item>] {
        let count = max(1, count)
        let base = items.count / count
        let extra = items.count % count
        var start = items.startIndex
        return (0..<count).map { shard in
            let size = base + (shard < extra ? 1 : 0)
            defer { start += size }
            return items[start..<(start + size)]
        }
    }

    private struct ShardResult: Sendable {
        var loss: Double
        var tokens: Int
        var targets: Int
    }

    /// Each worker touches only its own replica (its graph, its gradients), and the master's
    /// parameter values are only read while the workers run, which is why the models and the
    /// loss closure may cross threads here.
    private final class UncheckedWork<Item>: @unchecked Sendable {
        let replicas: [Replica]
        let shardLoss: (Replica, ArraySlice<Item>, Int) throws -> BatchLoss
        init(replicas: [Replica], shardLoss: @escaping (Replica, ArraySlice<Item>, Int) throws -> BatchLoss) {
            self.replicas = replicas
            self.shardLoss = shardLoss
        }
    }
}

extension DataParallelGradients where Replica: SequenceTrainable {
    /// Workers for a sequence model: replicas from ``SequenceTrainable/replica()``.
    convenience init(model: Replica, workers: Int) throws {
        try self.init(
            master: model, workers: workers, parameters: { $0.parameters }, replicate: { try model.replica() })
    }

    /// The gradient of the mean loss over `windows` of `split`, each worker in its own `mode`.
    func compute(
        windows: ArraySlice<SampleReference>, split: LeaveOneOutSplit, mode: (Int) -> ForwardMode
    ) throws -> (loss: Double, tokens: Int, targets: Int) {
        let modes = (0..<workers).map(mode)
        return try compute(windows) { replica, shard, worker in
            var workerMode = modes[worker]
            return try replica.loss(windows: shard, split: split, mode: &workerMode)
        }
    }
}
