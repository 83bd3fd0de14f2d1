import Foundation
import Testing

@testable import Tensor

@Suite("Optimiser, schedule and clipping")
struct OptimizerTests {
    @Test func adamWMatchesHandComputedSteps() {
        // One scalar parameter p0 = 1, gradients 0.5 then -0.25; lr 0.1, wd 0.1, betas 0.9/0.999.
        let p = Parameter.parameter(Tensor(shape: [1], elements: [1]))
        let optimizer = AdamW(parameters: [p], configuration: .init(learningRate: 0.1, weightDecay: 0.1))
        var expected = 1.0
        var (m, v) = (0.0, 0.0)
        for (t, g) in [0.5, -0.25].enumerated() {
            p.grad = Tensor(shape: [1], elements: [Float(g)])
            optimizer.step()
            expected -= 0.1 * 0.1 * expected
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let mHat = m / (1 - pow(0.9, Double(t + 1)))
            let vHat = v / (1 - pow(0.999, Double(t + 1)))
            expected -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            #expect(abs(Double(p.value[flat: 0]) - expected) < 1e-6)
            #expect(p.grad == nil)
        }
        // First step of Adam moves by ~lr regardless of the gradient's size: 1 - 0.01 - 0.1.
        #expect(optimizer.stepCount == 2)
    }

    @Test func adamWFirstStepIsLearningRateTimesSign() {
        let p = Parameter.parameter(Tensor(shape: [2], elements: [1, 1]))
        let optimizer = AdamW(parameters: [p], configuration: .init(learningRate: 0.1, weightDecay: 0))
        p.grad = Tensor(shape: [2], elements: [1000, -0.001])
        optimizer.step()
        #expect(abs(p.value[flat: 0] - 0.9) < 1e-5)
        #expect(abs(p.value[flat: 1] - 1.1) < 1e-3)
    }

    @Test func weightDecayIsDecoupledAndCanBeExempted() {
        let decayed = Parameter.parameter(Tensor(shape: [1], elements: [2]))
        let exempt = Parameter.parameter(Tensor(shape: [1], elements: [2]))
        let optimizer = AdamW(
            parameters: [decayed, exempt], configuration: .init(learningRate: 0.5, weightDecay: 0.2),
            withoutDecay: [exempt])
        decayed.grad = Tensor(zeros: [1])
        exempt.grad = Tensor(zeros: [1])
        optimizer.step()
        // A zero gradient gives a zero Adam step: only the decay p *= 1 - lr·λ = 0.9 remains.
        #expect(abs(decayed.value[flat: 0] - 1.8) < 1e-6)
        #expect(exempt.value[flat: 0] == 2)
    }

    @Test func cosineScheduleWarmsUpLinearlyThenDecays() {
        let schedule = CosineSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, floor: 0.1)
        #expect(schedule.learningRate(at: 0) == 0.25)
        #expect(schedule.learningRate(at: 3) == 1)
        #expect(abs(schedule.learningRate(at: 4) - 1) < 1e-6)
        // Halfway through the decay: floor + (peak - floor) / 2.
        #expect(abs(schedule.learningRate(at: 9) - 0.55) < 1e-6)
        #expect(abs(schedule.learningRate(at: 14) - 0.1) < 1e-6)
        #expect(abs(schedule.learningRate(at: 100) - 0.1) < 1e-6)
        // A quarter of the way: floor + 0.9 · ½(1 + cos(π/4)).
        let quarter = Float(0.1 + 0.9 * 0.5 * (1 + cos(Double.pi / 4)))
        let tenSteps = CosineSchedule(peak: 1, warmupSteps: 0, totalSteps: 8, floor: 0.1)
        #expect(abs(tenSteps.learningRate(at: 2) - quarter) < 1e-6)
    }

    @Test func globalNormClippingScalesAllGradientsTogether() {
        let a = Parameter.parameter(Tensor(zeros: [1]))
        let b = Parameter.parameter(Tensor(zeros: [1]))
        let unused = Parameter.parameter(Tensor(zeros: [3]))
        a.grad = Tensor(shape: [1], elements: [3])
        b.grad = Tensor(shape: [1], elements: [4])
        let norm = GradientClipping.clipGlobalNorm([a, b, unused], maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(a.grad![flat: 0] - 0.6) < 1e-5)
        #expect(abs(b.grad![flat: 0] - 0.8) < 1e-5)
        #expect(unused.grad == nil)
        let small = GradientClipping.clipGlobalNorm([a, b], maxNorm: 10)
        #expect(abs(small - 1) < 1e-5)
        #expect(abs(a.grad![flat: 0] - 0.6) < 1e-5)
    }
}
