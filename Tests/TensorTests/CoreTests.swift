import Tensor
import Testing

@Suite("Tensor core")
struct CoreTests {
    @Test func storageIsSixtyFourByteAligned() {
        for count in [1, 3, 17, 1000] {
            let t = Tensor(zeros: [count])
            t.withUnsafeBufferPointer { buffer in
                #expect(Int(bitPattern: buffer.baseAddress!) % AlignedStorage.alignment == 0)
            }
        }
    }

    @Test func copyOnWriteKeepsValueSemantics() {
        let a = Tensor(shape: [2, 2], elements: [1, 2, 3, 4])
        var b = a
        b[flat: 0] = 9
        #expect(a.elements == [1, 2, 3, 4])
        #expect(b.elements == [9, 2, 3, 4])
    }

    @Test func reshapeInfersOneDimension() {
        let t = Tensor(zeros: [2, 3, 4]).reshaped([-1, 4])
        #expect(t.shape == [6, 4])
    }

    @Test func matmulMatchesHandComputedProducts() {
        let a = Tensor(shape: [2, 3], elements: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], elements: [7, 8, 9, 10, 11, 12])
        #expect(Tensor.matmul(a, b).elements == [58, 64, 139, 154])
        // aᵀ (3x2) times a (2x3)
        #expect(Tensor.matmul(a, a, transposeA: true).elements == [17, 22, 27, 22, 29, 36, 27, 36, 45])
        // a (2x3) times aᵀ (3x2)
        #expect(Tensor.matmul(a, a, transposeB: true).elements == [14, 32, 32, 77])
    }

    @Test func batchedMatmulAppliesEachPair() {
        let a = Tensor(shape: [2, 1, 2], elements: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2, 1], elements: [5, 6, 7, 8])
        #expect(Tensor.batchedMatmul(a, b).elements == [17, 53])
        let shared = Tensor(shape: [2, 1], elements: [1, 1])
        #expect(Tensor.batchedMatmul(a, shared).elements == [3, 7])
    }

    @Test func seededRandomIsReproducibleAndSplits() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        let drawsA = (0..<100).map { _ in a.normal() }
        let drawsB = (0..<100).map { _ in b.normal() }
        #expect(drawsA == drawsB)
        var c = SeededRandom(seed: 43)
        #expect((0..<100).map { _ in c.normal() } != drawsA)
        var s1 = a.split(1), s2 = a.split(2)
        #expect(s1.next() != s2.next())
    }

    @Test func seededRandomMomentsAreSane() {
        var rng = SeededRandom(seed: 1)
        let n = 20_000
        let draws = (0..<n).map { _ in Double(rng.normal()) }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[rng.int(below: 7)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })
    }
}
