import Testing

@testable import Training

@Suite("Learning-rate plateau")
struct LearningRatePlateauTests {
    /// Feeds `(epoch, best epoch)` validations and returns the epochs at which the rate decayed.
    static func decays(_ plateau: inout LearningRatePlateau, _ validations: [(Double, Double)]) -> [Double] {
        validations.compactMap { epoch, best in plateau.observe(epoch: epoch, bestEpoch: best) ? epoch : nil }
    }

    @Test("the rate halves after two epochs without a better validation, counted from the best or the last decay")
    func decaysOnPlateau() {
        var plateau = LearningRatePlateau(epochs: 2, factor: 0.5)
        // Improving through epoch 3, then stalled at 3 through epoch 7; a new best at 8.
        let decayed = Self.decays(
            &plateau, [(1, 1), (2, 2), (3, 3), (4, 3), (5, 3), (6, 3), (7, 3), (8, 8), (9, 8), (10, 8)])
        #expect(decayed == [5, 7, 10])
        #expect(plateau.scale == 0.125)
    }

    @Test("validations within an epoch count fractional epochs; zero epochs disables decay")
    func fractionalAndDisabled() {
        var plateau = LearningRatePlateau(epochs: 1, factor: 0.5)
        #expect(Self.decays(&plateau, [(1.5, 1), (2, 1)]) == [2])
        var never = LearningRatePlateau(epochs: 0, factor: 0.5)
        #expect(Self.decays(&never, [(50, 1)]).isEmpty)
        #expect(never.scale == 1)
    }
}
