public import Tensor

/// A trainable component: it owns parameters and may contain other layers.
///
/// Layers are classes because their parameters are shared, mutable state that optimisers
/// update in place; a layer's forward pass is its `callAsFunction`.
public protocol Layer: AnyObject {
    /// Every parameter of this layer and its sub-layers with a stable dotted name
    /// (`"blocks.0.attention.inProjection.weight"`), in a fixed order. The names are the keys
    /// weight files use.
    func namedParameters() -> [(name: String, parameter: Parameter)]
}

extension Layer {
    /// The parameters, in ``namedParameters()`` order: hand them to an optimiser.
    public var parameters: [Parameter] { namedParameters().map(\.parameter) }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Parameters that conventionally get no weight decay: one-dimensional ones (biases and
    /// normalisation gains).
    public var parametersWithoutDecay: [Parameter] { parameters.filter { $0.shape.count < 2 } }
}

/// Joins sub-layers' named parameters under a prefix: the helper every composite layer uses.
func prefixed(_ prefix: String, _ layer: any Layer) -> [(name: String, parameter: Parameter)] {
    layer.namedParameters().map { (name: "\(prefix).\($0.name)", parameter: $0.parameter) }
}
