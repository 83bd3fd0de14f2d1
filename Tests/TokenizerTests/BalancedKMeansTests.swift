import Tensor
import Testing

@testable import Tokenizer

@Suite("Balanced k-means")
struct BalancedKMeansTests {
    static func randomDistances(n: Int, k: Int, seed: UInt64) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return Tensor(shape: [n, k], elements: (0..<(n * k)).map { _ in rng.nextFloat() * 10 })
    }

    @Test(arguments: [(12, 3), (13, 4), (30, 7), (41, 5), (60, 6), (1, 1), (5, 5)])
    func exactAndFastAreBalancedAndAgree(shape: (Int, Int)) {
        let (n, k) = shape
        for seed in 0..<5 {
            let d = Self.randomDistances(n: n, k: k, seed: UInt64(seed * 31 + n))
            let exact = CapacitatedAssignment.exact(distances: d)
            let fast = CapacitatedAssignment.fast(distances: d)
            #expect(CapacitatedAssignment.isBalanced(exact, clusters: k))
            #expect(CapacitatedAssignment.isBalanced(fast, clusters: k))
            let e = CapacitatedAssignment.objective(distances: d, assignment: exact)
            let f = CapacitatedAssignment.objective(distances: d, assignment: fast)
            #expect(f <= e * (1 + 1e-5) + 1e-6, "fast \(f) vs exact \(e)")
        }
    }

    @Test func greedyStartIsBalanced() {
        let d = Self.randomDistances(n: 103, k: 10, seed: 9)
        #expect(CapacitatedAssignment.isBalanced(CapacitatedAssignment.greedyStart(distances: d), clusters: 10))
    }

    @Test(arguments: [(500, 7), (640, 32), (97, 10)])
    func clustersHoldFloorOrCeil(shape: (Int, Int)) throws {
        let (n, k) = shape
        let x = SyntheticVectors.clustered(items: n, dimension: 24, topics: 5, subtopics: 3, seed: 3)
        let result = try BalancedKMeans(.init(clusters: k, restarts: 2)).fit(x, random: SeededRandom(seed: 1))
        var sizes = [Int](repeating: 0, count: k)
        for c in result.assignment { sizes[c] += 1 }
        #expect(sizes.allSatisfy { $0 == n / k || $0 == (n + k - 1) / k })
        #expect(result.iterations >= 1)
    }

    @Test func fastSolverMatchesExactInsideKMeans() throws {
        let x = SyntheticVectors.clustered(items: 120, dimension: 16, topics: 4, subtopics: 2, seed: 5)
        let fast = try BalancedKMeans(.init(clusters: 6, restarts: 1, solver: .fast)).fit(
            x, random: SeededRandom(seed: 2))
        let exact = try BalancedKMeans(.init(clusters: 6, restarts: 1, solver: .exact)).fit(
            x, random: SeededRandom(seed: 2))
        #expect(abs(fast.objective - exact.objective) <= 1e-4 * exact.objective)
    }

    @Test func sameSeedIsBitIdentical() throws {
        let x = SyntheticVectors.clustered(items: 300, dimension: 20, seed: 8)
        let a = try BalancedKMeans(.init(clusters: 9)).fit(x, random: SeededRandom(seed: 4))
        let b = try BalancedKMeans(.init(clusters: 9)).fit(x, random: SeededRandom(seed: 4))
        #expect(a.assignment == b.assignment)
        #expect(a.centroids == b.centroids)
    }

    @Test func tooManyClustersIsAClearError() {
        let x = Tensor(zeros: [3, 4])
        #expect(throws: TokenizerError.self) {
            try BalancedKMeans(.init(clusters: 5)).fit(x, random: SeededRandom(seed: 1))
        }
    }

    @Test func anchorsAreOrthonormal() throws {
        let a = try OrthonormalAnchors.make(count: 40, dimension: 64, random: SeededRandom(seed: 7))
        let gram = Tensor.matmul(a, a, transposeB: true)
        for i in 0..<40 {
            for j in 0..<40 {
                #expect(abs(gram[flat: i * 40 + j] - (i == j ? 1 : 0)) < 1e-5)
            }
        }
        #expect(throws: TokenizerError.self) {
            try OrthonormalAnchors.make(count: 65, dimension: 64, random: SeededRandom(seed: 7))
        }
    }
}
