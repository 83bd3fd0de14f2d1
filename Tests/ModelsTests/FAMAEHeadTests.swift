import Models
import Tensor
import Testing

@Suite struct FAMAEHeadTests {
    /// A model over a random catalogue of 5,000 items, so item_id exceeds the default
    /// sampled-softmax threshold (4,096) and takes the sampled path.
    static func largeCatalogModel() throws -> FAMAEModel {
        var random = SeededRandom(seed: 9)
        var catalog = FAMAEItemCodes(fieldCount: 2)
        for item in 0..<5_000 { catalog.append([[Int32(item + 1)], [Int32(1 + random.int(below: 40))]]) }
        var configuration = FAMAEConfiguration(fields: [
            FAMAEField(name: "item_id", vocabularySize: 5_001), FAMAEField(name: "store_id", vocabularySize: 41),
        ])
        configuration.dimension = 16
        configuration.heads = 2
        configuration.feedForward = 32
        configuration.historyLength = 4
        return try FAMAEModel(configuration: configuration, catalog: catalog, seed: 1)
    }

    @Test func sampledLogitsEqualFullLogitsOnSampledColumns() throws {
        let model = try Self.largeCatalogModel()
        #expect(model.configuration.usesSampledSoftmax(field: 0))
        #expect(!model.configuration.usesSampledSoftmax(field: 1))
        let head = FAMAEHead(model: model)
        var random = SeededRandom(seed: 4)
        let rows = 6
        let hidden = Variable(Tensor(shape: [rows, 16], elements: (0..<(rows * 16)).map { _ in random.normal() }))
        let trueCodes: [Int32] = (0..<rows).map { _ in Int32(1 + random.int(below: 5_000)) }
        var negatives = head.drawNegatives(field: 0, count: 128, using: &random)
        #expect(negatives.count == 128 && Set(negatives).count == 128)
        #expect(negatives.allSatisfy { (1...5_000).contains($0) })
        negatives[5] = trueCodes[2]  // an accidental hit must be excluded from that row only
        let sampled = head.sampledLogits(hidden, field: 0, trueCodes: trueCodes, negatives: negatives).value
        let full = head.fullLogits(hidden, field: 0).value
        #expect(sampled.shape == [rows, 129])
        #expect(full.shape == [rows, 5_000])
        let (s, f) = (sampled.elements, full.elements)
        for row in 0..<rows {
            #expect(abs(s[row * 129] - f[row * 5_000 + Int(trueCodes[row]) - 1]) < 1e-4)
            for (column, code) in negatives.enumerated() {
                let value = s[row * 129 + column + 1]
                if code == trueCodes[row] {
                    #expect(value < -1e8)
                } else {
                    #expect(abs(value - f[row * 5_000 + Int(code) - 1]) < 1e-4)
                }
            }
        }
    }

    @Test func lossIsSumOverMaskedFieldsAndBackpropagatesToTables() throws {
        let model = try Self.largeCatalogModel()
        let head = FAMAEHead(model: model)
        var targets = FAMAEItemCodes(fieldCount: 2)
        targets.append([[Int32(10)], [Int32(3)]])
        targets.append([[Int32(20)], [Int32(4)]])
        let batch = try FAMAEBatch(
            history: [-1, -1, 0, 1, -1, -1, -1, 2], targets: targets, masked: [true, true, false, true],
            historyLength: 4)
        var inference = ForwardMode.inference
        let states = try model.targetStates(batch, mode: &inference)
        var random = SeededRandom(seed: 2)
        let (loss, perField) = head.loss(hidden: states, batch: batch, random: &random)
        #expect(abs(loss.value.scalar - (perField[0] + perField[1])) < 1e-5)
        // Field 0 is masked in one of two samples, field 1 in both: per-sample means.
        #expect(perField[0] > 0 && perField[1] > 0)
        loss.backward()
        #expect(model.embeddings[0].grad != nil && model.embeddings[1].grad != nil && model.positions.grad != nil)
    }
}
