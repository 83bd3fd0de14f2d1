import Foundation
import Testing

@testable import Tensor

@Suite("Autograd graph")
struct AutogradTests {
    @Test func handComputedGradientOfASmallExpression() {
        // L = sum((a * b) + a) => dL/da = b + 1, dL/db = a
        let a = Variable(Tensor(shape: [2], elements: [1, 2]), requiresGrad: true)
        let b = Variable(Tensor(shape: [2], elements: [3, -4]), requiresGrad: true)
        let loss = (a * b + a).sum()
        #expect(loss.value.scalar == -2)
        loss.backward()
        #expect(a.grad?.elements == [4, -3])
        #expect(b.grad?.elements == [1, 2])
    }

    @Test func parameterGradientsAccumulateUntilZeroed() {
        let w = Parameter.parameter(Tensor(shape: [2], elements: [1, 1]))
        (w * 3).sum().backward()
        (w * 2).sum().backward()
        #expect(w.grad?.elements == [5, 5])
        w.zeroGrad()
        #expect(w.grad == nil)
    }

    @Test func aVariableUsedTwiceReceivesBothGradients() {
        let x = Variable(Tensor(shape: [1], elements: [3]), requiresGrad: true)
        let y = x * x + x  // dy/dx = 2x + 1 = 7
        y.sum().backward()
        #expect(x.grad?.elements == [7])
    }

    @Test func intermediateGradientsAreReleased() {
        let x = Variable(Tensor(shape: [2], elements: [1, 2]), requiresGrad: true)
        let hidden = x * 2
        hidden.sum().backward()
        #expect(hidden.grad == nil)
        #expect(x.grad?.elements == [2, 2])
    }

    @Test func noGradModeRecordsNothing() {
        let w = Parameter.parameter(Tensor(shape: [2, 2], elements: [1, 2, 3, 4]))
        let x = Variable(Tensor(shape: [1, 2], elements: [1, 1]))
        let y = GradMode.withoutGrad { Variable.matmul(x, w).relu() }
        #expect(y.value.elements == [4, 6])
        #expect(!y.requiresGrad)
        #expect(y.isLeaf)
        let recorded = Variable.matmul(x, w)
        #expect(recorded.requiresGrad && !recorded.isLeaf)
    }

    @Test func constantsGetNoGradient() {
        let c = Variable(Tensor(shape: [2], elements: [1, 2]))
        let w = Parameter.parameter(Tensor(shape: [2], elements: [3, 4]))
        (c * w).sum().backward()
        #expect(c.grad == nil)
        #expect(w.grad?.elements == [1, 2])
    }

    @Test func broadcastKernelsMatchHandComputedValues() {
        let a = Tensor(shape: [2, 3], elements: [1, 2, 3, 4, 5, 6])
        let row = Tensor(shape: [3], elements: [10, 20, 30])
        let column = Tensor(shape: [2, 1], elements: [100, 200])
        #expect(Tensor.broadcasting(a, row, +).elements == [11, 22, 33, 14, 25, 36])
        #expect(Tensor.broadcasting(a, column, +).elements == [101, 102, 103, 204, 205, 206])
        #expect(a.sum(toShape: [3]).elements == [5, 7, 9])
        #expect(a.sum(toShape: [2, 1]).elements == [6, 15])
        #expect(a.permuted([1, 0]).elements == [1, 4, 2, 5, 3, 6])
        #expect(Tensor.concat([a, a.slice(axis: 1, range: 0..<1)], axis: 1).elements == [1, 2, 3, 1, 4, 5, 6, 4])
    }

    @Test func crossEntropyMatchesHandComputedValue() {
        // Row 0: logits [0, ln 3] target 1 -> -log(3/4); row 1 ignored.
        let logits = Variable(Tensor(shape: [2, 2], elements: [0, Float(log(3.0)), 5, 5]))
        let loss = logits.crossEntropy(targets: [1, -1])
        #expect(abs(loss.value.scalar - Float(-log(0.75))) < 1e-6)
    }
}
