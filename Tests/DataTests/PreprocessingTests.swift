import Testing

@testable import Data

@Suite struct PreprocessingTests {
    /// A log from (user, item, timestamp) triples; source order is the triple's position + 1.
    static func log(_ events: [(String, Int, Double)]) -> InteractionLog {
        var log = InteractionLog()
        for (position, event) in events.enumerated() {
            log.append(user: event.0, item: event.1, timestamp: event.2, sourceOrder: Int64(position + 1))
        }
        return log
    }

    @Test func kCoreIteratesToAFixedPoint() {
        // 2-core. Item 3 has one event; dropping it leaves user "c" with one event, and dropping
        // "c" leaves item 2 with one event, which then drops user "b" below 2: four passes remove
        // something and a fifth finds nothing to remove.
        let events: [(String, Int, Double)] = [
            ("a", 0, 1), ("a", 1, 2), ("d", 0, 3), ("d", 1, 4),
            ("b", 1, 5), ("b", 2, 6),
            ("c", 2, 7), ("c", 3, 8),
        ]
        let result = KCoreFilter(k: 2).apply(Self.log(events), itemCount: 4)
        #expect(result.keptItems == [0, 1])
        #expect(result.log.userKeys == ["a", "d"])
        #expect(result.log.count == 4)
        #expect(result.passes == 5)
        // A fixed point: every count is at least k, and filtering again changes nothing.
        let again = KCoreFilter(k: 2).apply(result.log, itemCount: 4)
        #expect(again.log == result.log)
        #expect(again.passes == 1)
    }

    @Test func timeSortIsStableWithTies() {
        // Same timestamps: file order decides. Events are listed out of time order on purpose.
        let log = Self.log([
            ("u", 5, 20), ("u", 1, 10), ("v", 9, 1), ("u", 2, 10), ("u", 3, 5), ("u", 4, 20), ("u", 0, 10),
        ])
        let sequences = UserSequences(log: log)
        #expect(Array(sequences.sequence(0)) == [3, 1, 2, 0, 5, 4])
        #expect(Array(sequences.sequence(1)) == [9])
        #expect(sequences.timestamps[0..<6] == [5, 10, 10, 10, 20, 20])
        #expect(sequences.timeTies == 3)
    }

    @Test func sourceOrderNotPositionBreaksTies() {
        var log = InteractionLog()
        log.append(user: "u", item: 1, timestamp: 7, sourceOrder: 30)
        log.append(user: "u", item: 2, timestamp: 7, sourceOrder: 10)
        log.append(user: "u", item: 3, timestamp: 7, sourceOrder: 20)
        #expect(Array(UserSequences(log: log).sequence(0)) == [2, 3, 1])
    }

    @Test func leaveOneOutAndSlidingWindows() {
        // User 0: items 10...15 in time order (n = 6). User 1: 3 events. User 2: 2 events (no samples).
        var events: [(String, Int, Double)] = (0..<6).map { ("a", 10 + $0, Double($0)) }
        events += [("b", 1, 1), ("b", 2, 2), ("b", 3, 3), ("c", 4, 1), ("c", 5, 2)]
        let split = LeaveOneOutSplit(sequences: UserSequences(log: Self.log(events)), historyLimit: 2)
        #expect(split.testSamples == [SampleReference(user: 0, position: 5), SampleReference(user: 1, position: 2)])
        #expect(
            split.validationSamples == [SampleReference(user: 0, position: 4), SampleReference(user: 1, position: 1)])
        #expect(split.target(split.testSamples[0]) == 15)
        #expect(Array(split.history(split.testSamples[0])) == [13, 14])  // cut to 2, includes the validation target
        #expect(split.target(split.validationSamples[0]) == 14)
        #expect(Array(split.history(split.validationSamples[0])) == [12, 13])
        let windows = split.allTrainingWindows
        #expect(windows == [1, 2, 3].map { SampleReference(user: 0, position: Int32($0)) })
        #expect(windows.map { split.target($0) } == [11, 12, 13])
        #expect(windows.map { Array(split.history($0)) } == [[10], [10, 11], [11, 12]])
        #expect(split.trainingWindowCount == 3)
        #expect(split.trainingWindowCount(user: 1) == 0)
    }

    @Test func windowSamplingRules() {
        let events: [(String, Int, Double)] =
            (0..<20).map { ("a", $0, Double($0)) } + (0..<8).map { ("b", $0, Double($0)) }
        let split = LeaveOneOutSplit(sequences: UserSequences(log: Self.log(events)))
        #expect(split.trainingWindowCount == 17 + 5)

        let recent = TrainingWindowSampler(split: split, sampling: .mostRecentPerUser(3), seed: 1)
        #expect(
            Set(recent.windows(epoch: 0).map { "\($0.user):\($0.position)" }) == [
                "0:15", "0:16", "0:17", "1:3", "1:4", "1:5",
            ])
        #expect(Set(recent.windows(epoch: 0)) == Set(recent.windows(epoch: 1)))

        let all = TrainingWindowSampler(split: split, sampling: .all, seed: 1)
        #expect(Set(all.windows(epoch: 3)) == Set(split.allTrainingWindows))

        let random = TrainingWindowSampler(split: split, sampling: .randomPerEpoch(10), seed: 7)
        let first = random.windows(epoch: 0)
        #expect(first.count == 10)
        #expect(Set(first).count == 10)
        #expect(Set(first).isSubset(of: Set(split.allTrainingWindows)))
        #expect(first == TrainingWindowSampler(split: split, sampling: .randomPerEpoch(10), seed: 7).windows(epoch: 0))
        #expect(first != random.windows(epoch: 1))
        #expect(TrainingWindowSampler(split: split, sampling: .randomPerEpoch(1000), seed: 7).windowsPerEpoch == 22)
    }

    @Test func preprocessorRunsTheProtocol() throws {
        var builder = ItemTableBuilder(columns: [.init(name: "genre", kind: .multi)])
        for item in 0..<6 { builder.add(key: "i\(item)", values: [item % 2 == 0 ? ["even", "x"] : ["odd"]]) }
        var log = InteractionLog()
        var order: Int64 = 0
        // Six users each rate items 0...4 (so those have 6 events); item 5 gets one event.
        for user in 0..<6 {
            for item in 0..<5 {
                order += 1
                log.append(user: "u\(user)", item: (item + user) % 5, timestamp: Double(item), sourceOrder: order)
            }
        }
        order += 1
        log.append(user: "u0", item: 5, timestamp: 99, sourceOrder: order)
        let dataset = Dataset(name: "tiny", catalog: try builder.build(), interactions: log)
        let prepared = try Preprocessor().prepare(dataset)
        #expect(prepared.items.keys == ["i0", "i1", "i2", "i3", "i4"])
        #expect(prepared.items.fields.map(\.name) == ["item_id", "genre", "genre_set"])
        #expect(prepared.sequences.eventCount == 30)
        #expect(prepared.split.testSamples.count == 6)
        #expect(prepared.split.trainingWindowCount == 6 * 2)
        let statistics = DatasetStatistics(dataset: dataset, prepared: prepared, k: 5)
        #expect(statistics.raw.events == 31)
        #expect(statistics.filtered.events == 30)
        #expect(statistics.filtered.items == 5)
        #expect(statistics.samples.trainingWindows == 12)
        #expect(statistics.sequenceLength.median == 5)
        #expect(statistics.fields.first { $0.name == "genre" }?.vocabularySize == 3)
    }
}
