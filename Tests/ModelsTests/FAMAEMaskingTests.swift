import Data
import Models
import Tensor
import Testing
import Training

@Suite struct FAMAEMaskingTests {
    @Test func drawsKUniformlyFromOneToJ() {
        var random = SeededRandom(seed: 11)
        let (j, draws) = (5, 20_000)
        var countOfK = [Int](repeating: 0, count: j + 1)
        var perField = [Int](repeating: 0, count: j)
        for _ in 0..<draws {
            let flags = FAMAEMasking.draw(fieldCount: j, using: &random)
            #expect(flags.count == j)
            let k = flags.filter { $0 }.count
            #expect((1...j).contains(k))
            countOfK[k] += 1
            for field in 0..<j where flags[field] { perField[field] += 1 }
        }
        // K ~ U{1..5}: each K has probability 0.2 (± 0.015 is > 5 standard errors).
        for k in 1...j { #expect(abs(Double(countOfK[k]) / Double(draws) - 0.2) < 0.015, "K = \(k)") }
        // Each field is masked with probability E[K]/J = 3/5.
        for field in 0..<j { #expect(abs(Double(perField[field]) / Double(draws) - 0.6) < 0.02, "field \(field)") }
    }

    /// The input tokens of a training batch: history positions carry the plain sum of their
    /// item's field embeddings; only the target's masked fields are replaced by mask vectors.
    @Test func historyIsNeverMasked() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        let (h, d, j) = (
            model.configuration.historyLength, model.configuration.dimension, model.configuration.fieldCount
        )
        let batcher = FAMAESampleBatcher(split: data.split, catalog: model.catalog, historyLength: h)
        var random = SeededRandom(seed: 3)
        let samples = Array(data.split.allTrainingWindows.prefix(40))
        let batch = try batcher.trainingBatch(samples[...], random: &random)
        let (tokens, padding) = try model.inputTokens(batch)
        let itemVectors = model.itemVectors()  // [N, J·d]: per-field embeddings of each item
        let positions = model.positions.value.elements
        let maskRows = (0..<j).map { field in
            Array(
                model.embeddings[field].value.elements[
                    (model.configuration.fields[field].maskRow * d)..<((model.configuration.fields[field].maskRow + 1)
                        * d)])
        }
        let values = tokens.value.elements
        let vectors = itemVectors.elements
        for (index, sample) in samples.enumerated() {
            let flags = Array(batch.masked[(index * j)..<((index + 1) * j)])
            #expect((1...j).contains(flags.filter { $0 }.count))
            let history = FAMAEBatch.paddedHistory(data.split.history(sample), historyLength: h)
            for position in 0...h {
                let item = position < h ? Int(history[position]) : Int(data.split.target(sample))
                #expect(padding[index * (h + 1) + position] == (item < 0))
                guard item >= 0 else { continue }
                for c in 0..<d {
                    var expected = positions[position * d + c]
                    for field in 0..<j {
                        let masked = position == h && flags[field]
                        expected += masked ? maskRows[field][c] : vectors[item * j * d + field * d + c]
                    }
                    let actual = values[(index * (h + 1) + position) * d + c]
                    #expect(abs(actual - expected) < 1e-5, "sample \(index) position \(position)")
                }
            }
        }
    }
}
