/// A node of the reverse-mode autograd graph: a ``Tensor`` value, its gradient, and how to send
/// a gradient back to the variables it was computed from.
///
/// Three kinds of variable exist:
/// - **constants** (`Variable(tensor)`): inputs that need no gradient;
/// - **parameters** (``parameter(_:)``): leaves whose ``grad`` accumulates across
///   ``backward()`` calls until ``zeroGrad()``; optimisers update their ``value`` in place;
/// - **op results**: produced by the ops in this module (`a.matmul(b)`, `x.relu()`, ...). While
///   ``GradMode/isEnabled`` is true and any input requires a gradient, the result remembers its
///   inputs and a backward closure; otherwise it is a plain constant, so inference inside
///   ``GradMode/withoutGrad(_:)`` builds no graph at all.
///
/// A training step is: compute a scalar loss from parameters, call `loss.backward()`, let an
/// optimiser read every parameter's ``grad``, then `zeroGrad()` them (``AdamW`` does this).
///
/// - Important: a variable is a reference type and its ``value``/``grad`` are mutable. It is
///   marked `Sendable` so that a trained model can be shared by concurrent *inference* tasks,
///   which only read parameter values. Training (forward with gradients, `backward()`, optimiser
///   steps) must stay confined to one task at a time.
public final class Variable: @unchecked Sendable {
    /// The current value. Optimisers overwrite parameter values in place.
    public var value: Tensor

    /// The accumulated gradient of the last ``backward()`` calls with respect to this variable,
    /// with the shape of ``value``; `nil` until a gradient reaches it.
    ///
    /// Gradients of intermediate op results are released once they have been propagated, so
    /// after `backward()` only leaves (parameters and inputs created with `requiresGrad: true`)
    /// keep theirs.
    public var grad: Tensor?

    /// Whether gradients flow into this variable.
    public let requiresGrad: Bool

    /// The variables this one was computed from (empty for leaves and for results computed
    /// without recording).
    let parents: [Variable]

    /// Receives this variable's gradient and accumulates the matching gradients into
    /// ``parents``. It must not capture the result variable itself (that would form a cycle).
    let backwardFunction: ((Tensor) -> Void)?

    /// A leaf holding `value`.
    /// - Parameter requiresGrad: set for inputs whose gradient you want to read after
    ///   ``backward()`` (gradient checks, saliency); parameters use ``parameter(_:)``.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardFunction = nil
    }

    /// A trainable leaf: requires a gradient and keeps its ``grad`` until ``zeroGrad()``.
    public static func parameter(_ value: Tensor) -> Variable {
        Variable(value, requiresGrad: true)
    }

    private init(value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardFunction = backward
    }

    /// The result of an op: records `parents` and `backward` only when gradients are being
    /// recorded and some parent needs one.
    ///
    /// `backward` receives the result's gradient (same shape as `value`) and must call
    /// ``accumulateGrad(_:)`` (or write through ``gradPointer()``) on each parent that
    /// ``requiresGrad``.
    static func result(_ value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        guard GradMode.isEnabled, parents.contains(where: \.requiresGrad) else {
            return Variable(value)
        }
        return Variable(value: value, parents: parents, backward: backward)
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// Whether this variable is a leaf (not computed by a recorded op).
    public var isLeaf: Bool { backwardFunction == nil }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// A constant holding the same value: gradients stop here.
    public func detached() -> Variable { Variable(value) }

    /// Adds `gradient` to ``grad`` (which takes ``value``'s shape).
    ///
    /// The first gradient is stored without copying (tensors are copy-on-write), later ones are
    /// added in place.
    public func accumulateGrad(_ gradient: Tensor) {
        precondition(
            gradient.count == value.count,
            "Variable.accumulateGrad: gradient of \(gradient.shape) for value of \(value.shape)"
        )
        if grad == nil {
            grad = gradient.shape == value.shape ? gradient : gradient.reshaped(value.shape)
            return
        }
        let source = gradient.pointer
        let target = gradPointer()
        BLAS.saxpy(count: value.count, alpha: 1, x: source, y: target)
        withExtendedLifetime(gradient) {}
    }

    /// A pointer to this variable's uniquely owned gradient buffer, created as zeros if there
    /// is none yet, for kernels that accumulate (`+=`, GEMM with `beta = 1`) straight into it.
    ///
    /// - Important: valid only while ``grad`` is not reassigned; use it within one backward
    ///   closure.
    func gradPointer() -> UnsafeMutablePointer<Float> {
        if grad == nil {
            grad = Tensor(zeros: value.shape)
        }
        return grad!.uniquePointer()
    }

    /// Back-propagates from this scalar (one-element) variable: every variable it depends on
    /// that requires a gradient receives d(self)/d(variable) added to its ``grad``.
    public func backward() {
        precondition(value.count == 1, "Variable.backward(): the loss must have one element, has shape \(shape)")
        backward(seed: Tensor(repeating: 1, shape: value.shape))
    }

    /// Back-propagates a given output gradient `seed` (same shape as ``value``): computes the
    /// vector-Jacobian product of every upstream variable with `seed`.
    public func backward(seed: Tensor) {
        precondition(seed.count == value.count, "Variable.backward(seed:): seed \(seed.shape) for value \(shape)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        accumulateGrad(seed)
        for node in order.reversed() {
            guard let function = node.backwardFunction, let gradient = node.grad else { continue }
            function(gradient)
            // The gradient of an intermediate result is dead once propagated; freeing it keeps
            // peak memory near one activation set.
            node.grad = nil
        }
    }

    /// Every recorded ancestor (including self) in an order where parents precede children.
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep graphs must not overflow the stack.
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                let parent = node.parents[next]
                if parent.requiresGrad, visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

/// The variable type trainable weights use: a ``Variable`` created with
/// ``Variable/parameter(_:)``.
public typealias Parameter = Variable

extension Variable: CustomStringConvertible {
    public var description: String {
        "Variable(\(value)\(requiresGrad ? ", requiresGrad" : ""))"
    }
}
