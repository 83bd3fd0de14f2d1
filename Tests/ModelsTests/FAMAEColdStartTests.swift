import Data
import Models
import Tensor
import Testing
import Training

/// Cold-start encoding and SID assignment on synthetic data (generated, not real users).
@Suite struct FAMAEColdStartTests {
    @Test func encodingIsDeterministicAndKeepsKnownFieldParts() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        try FAMAEFixture.train(model, on: data, epochs: 1, windows: 1_500)
        let (j, d) = (model.configuration.fieldCount, model.configuration.dimension)
        let encoder = FAMAEColdStartEncoder(model: model)
        let trained = model.itemVectors().elements
        var items = FAMAEItemCodes(fieldCount: j)
        let sources = [3, 40, 41, 150]
        for item in sources {
            // The same field values as a trained item, but an unseen key (item_id code 0).
            let codes = FAMAEItemTableAdapter.codes(of: data.items, key: "new-\(item)", values: data.items.values(item: item))
            #expect(codes[0] == [0])
            items.append(codes)
        }
        let first = try encoder.encode(items).elements
        let second = try encoder.encode(items).elements
        #expect(first == second)
        for (row, item) in sources.enumerated() {
            for field in 1..<j {
                let part = first[(row * j + field) * d..<((row * j + field + 1) * d)]
                let expected = trained[(item * j + field) * d..<((item * j + field + 1) * d)]
                #expect(Array(part) == Array(expected), "item \(item) field \(field)")
            }
            // The predicted item_id part is a convex mixture of item embeddings, not zero.
            let predicted = first[(row * j) * d..<((row * j + 1) * d)]
            #expect(predicted.contains { $0 != 0 })
        }
        // A catalogue item (known key) gets exactly its trained vector back.
        var known = FAMAEItemCodes(fieldCount: j)
        known.append(FAMAEItemTableAdapter.codes(of: data.items, key: data.items.keys[7], values: data.items.values(item: 7)))
        #expect(try encoder.encode(known).elements == Array(trained[(7 * j * d)..<(8 * j * d)]))
    }
}
