import Data
import Inference
import Tensor
import Testing
import Tokenizer

@testable import Models

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
            let codes = FAMAEItemTableAdapter.codes(
                of: data.items, key: "new-\(item)", values: data.items.values(item: item))
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
        known.append(
            FAMAEItemTableAdapter.codes(of: data.items, key: data.items.keys[7], values: data.items.values(item: 7)))
        #expect(try encoder.encode(known).elements == Array(trained[(7 * j * d)..<(8 * j * d)]))
    }

    /// Without history the target is encoded alone; that must equal the full padded sequence.
    @Test func historyFreeTargetsMatchTheFullPaddedSequence() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        let (j, h, d) = (
            model.configuration.fieldCount, model.configuration.historyLength, model.configuration.dimension
        )
        var items = FAMAEItemCodes(fieldCount: j)
        for item in [2, 9, 77] {
            items.append(
                FAMAEItemTableAdapter.codes(of: data.items, key: "new-\(item)", values: data.items.values(item: item)))
        }
        let masked = (0..<(3 * j)).map { $0 % j == 0 }
        let batch = try FAMAEBatch(
            history: [Int32](repeating: -1, count: 3 * h), targets: items, masked: masked, historyLength: h)
        var mode = ForwardMode.inference
        let short = try GradMode.withoutGrad { try model.targetStates(batch, mode: &mode).value.elements }
        let (tokens, padding) = try model.inputTokens(batch)
        let full = GradMode.withoutGrad {
            model.encoder(tokens, keyPadding: padding, mode: &mode).slice(axis: 1, range: h..<(h + 1)).value.elements
        }
        #expect(short.count == 3 * d && full.count == 3 * d)
        #expect(zip(short, full).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    /// The encoder's in-place logits (cached row norms, one GEMM) equal the head's.
    @Test func cachedNormLogitsMatchTheHead() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        let encoder = FAMAEColdStartEncoder(model: model)
        var random = SeededRandom(seed: 3)
        let d = model.configuration.dimension
        let states = Variable(Tensor(shape: [4, d], elements: (0..<(4 * d)).map { _ in random.normal() }))
        for field in 0..<model.configuration.fieldCount {
            let expected = GradMode.withoutGrad {
                FAMAEHead(model: model).fullLogits(states, field: field).value.elements
            }
            let actual = GradMode.withoutGrad { encoder.valueLogits(states.l2Normalized().value, field: field) }
            #expect(actual.count == expected.count)
            #expect(zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }, "field \(field)")
        }
    }

    @Test func thousandColdStartItemsNeverCollideNorMoveExistingSIDs() async throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        try FAMAEFixture.train(model, on: data, epochs: 1, windows: 1_500)
        let fit = try GAOQ(GAOQ.Configuration(b1: 4, b2: 4, seed: 3)).fit(model.itemVectors())
        let codebook = fit.codebook
        let claimer = try InMemoryLevel3Claimer(codebook: codebook, keys: data.items.keys)
        let tokenizer = try ColdStartTokenizer(
            table: data.items, encoder: FAMAEColdStartEncoder(model: model), codebook: codebook)

        // 1,000 new items with field values drawn from the vocabularies (some unknown).
        var random = SeededRandom(seed: 21)
        let columns = Array(Set(data.items.fields.dropFirst().map(\.source)))
        let drawn = (0..<1_000).map { index in
            var values: [String: [String]] = [:]
            for column in columns {
                guard let field = data.items.fields.first(where: { $0.source == column }) else { continue }
                let code = random.int(below: field.vocabulary.count + 1)  // 0 and count: unknown
                if let value = field.vocabulary.value(of: Int32(code)) { values[column] = [value] }
            }
            return ColdStartTokenizer.Item(key: "cold-\(index)", values: values)
        }
        // An item with no known value at all gets no SID (see the unknown-values test).
        let newItems = drawn.filter { tokenizer.fieldReport($0).isUsable }
        #expect(newItems.count > 900)
        var assigned: [SemanticID] = []
        for start in stride(from: 0, to: newItems.count, by: 100) {
            assigned += try await tokenizer.assign(
                Array(newItems[start..<min(newItems.count, start + 100)]), claimer: claimer)
        }
        let all = codebook.itemSIDs + assigned
        #expect(Set(all).count == all.count, "two items share an SID")
        for (index, key) in data.items.keys.enumerated() { #expect(claimer.sid(of: key) == codebook.itemSIDs[index]) }
        // Re-encoding the same new items returns their SIDs unchanged.
        let again = try await tokenizer.assign(Array(newItems[0..<50]), claimer: claimer)
        #expect(again == Array(assigned[0..<50]))
        #expect(claimer.count == data.items.count + newItems.count)
    }

    @Test func unknownValuesAreEncodedAsUnknownAndTheItemIsPlacedByItsKnownFields() throws {
        let data = try FAMAEFixture.prepared()
        let model = try FAMAEFixture.model(for: data)
        try FAMAEFixture.train(model, on: data, epochs: 1, windows: 1_500)
        let codebook = try GAOQ(GAOQ.Configuration(b1: 4, b2: 4, seed: 3)).fit(model.itemVectors()).codebook
        let tokenizer = try ColdStartTokenizer(
            table: data.items, encoder: FAMAEColdStartEncoder(model: model), codebook: codebook)
        // Item 3's raw values by catalogue column, as an item event carries them.
        var values: [String: [String]] = [:]
        for (position, field) in data.items.fields.enumerated() where position > 0 {
            for value in data.items.codes(field: position, item: 3).compactMap({ field.vocabulary.value(of: $0) })
            where !(values[field.source] ?? []).contains(value) {
                values[field.source, default: []].append(value)
            }
        }
        let columns = values.keys.sorted()
        #expect(columns.count >= 2)
        let column = try #require(columns.first)
        var withUnknown = values
        withUnknown[column] = ["a value no catalogue item has"]
        var withoutColumn = values
        withoutColumn[column] = nil

        let report = tokenizer.fieldReport(.init(key: "new-a", values: withUnknown))
        #expect(report.unknown == [column])
        #expect(report.known == Array(columns.dropFirst()))
        #expect(report.isUsable && report.rejection == nil)
        // Encoded exactly as if the column were absent: its part is predicted from the known
        // columns, and the item lands where those put it.
        let unknownVector = try tokenizer.vectors([.init(key: "new-a", values: withUnknown)])
        let absentVector = try tokenizer.vectors([.init(key: "new-b", values: withoutColumn)])
        let fullVector = try tokenizer.vectors([.init(key: "new-c", values: values)])
        #expect(unknownVector.elements == absentVector.elements)
        #expect(unknownVector.elements != fullVector.elements, "the column must matter for this test to mean anything")
        #expect(try tokenizer.assigner.place(unknownVector) == tokenizer.assigner.place(absentVector))

        // Nothing known at all: no vector, a reason naming the columns.
        let nothing = Dictionary(uniqueKeysWithValues: columns.map { ($0, ["never seen"]) })
        let rejected = tokenizer.fieldReport(.init(key: "new-d", values: nothing))
        #expect(!rejected.isUsable && rejected.unknown == columns)
        #expect(rejected.rejection?.contains("no usable field") == true)
        #expect(rejected.rejection?.contains(column) == true)
        #expect(throws: FAMAEError.self) { try tokenizer.vectors([.init(key: "new-d", values: nothing)]) }
        #expect(
            tokenizer.fieldReport(.init(key: "new-e", values: [:])).rejection?.contains("no field value was given")
                == true)
    }
}
