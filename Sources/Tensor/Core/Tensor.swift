/// A dense, row-major, contiguous `Float` tensor with value semantics.
///
/// Elements live in 64-byte aligned ``AlignedStorage`` shared copy-on-write: copying a tensor is
/// O(1) and the first mutation of a shared tensor copies its elements once. A tensor has no
/// gradient of its own; reverse-mode differentiation lives one level up.
public struct Tensor: Sendable {
    /// The extent of each dimension; the last dimension is contiguous in memory.
    public private(set) var shape: [Int]
    @usableFromInline var storage: AlignedStorage

    /// Total number of elements, the product of ``shape``.
    @inlinable public var count: Int { storage.count }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.storage = AlignedStorage(count: Self.elementCount(shape))
    }

    /// A tensor whose elements are not cleared.
    /// - Important: write every element before reading any (see ``AlignedStorage/init(uninitializedCount:)``).
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = AlignedStorage(uninitializedCount: Self.elementCount(shape))
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(zeros: shape)
        if value != 0 {
            storage.withUnsafeMutableBufferPointer { $0.update(repeating: value) }
        }
    }

    /// A tensor of the given shape holding `elements` in row-major order.
    /// - Important: `elements.count` must equal the product of `shape`.
    public init(shape: [Int], elements: [Float]) {
        precondition(
            elements.count == Self.elementCount(shape),
            "Tensor: \(elements.count) elements do not fill shape \(shape)"
        )
        self.shape = shape
        self.storage = elements.withUnsafeBufferPointer { AlignedStorage(copying: $0) }
    }

    /// A scalar (rank-0) tensor.
    public init(scalar: Float) {
        self.init(shape: [], elements: [scalar])
    }

    /// Wraps existing storage without copying.
    public init(shape: [Int], storage: AlignedStorage) {
        precondition(storage.count == Self.elementCount(shape), "Tensor: storage does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// The product of the dimensions in `shape`.
    @inlinable
    public static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1) { partial, dim in
            precondition(dim >= 0, "Tensor: negative dimension in shape \(shape)")
            return partial * dim
        }
    }

    /// All elements in row-major order.
    public var elements: [Float] {
        storage.withUnsafeBufferPointer { Array($0) }
    }

    /// The single element of a tensor with one element.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return storage.withUnsafeBufferPointer { $0[0] }
    }

    /// The same elements viewed with a new shape of equal element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().reduce(1) { $1.offset == inferred ? $0 : $0 * $1.element }
            precondition(known > 0 && count % known == 0, "Tensor.reshaped: cannot infer \(newShape) from \(shape)")
            resolved[inferred] = count / known
        }
        precondition(Self.elementCount(resolved) == count, "Tensor.reshaped: \(shape) cannot become \(newShape)")
        return Tensor(shape: resolved, storage: storage)
    }

    /// Read-only access to the elements, valid only inside `body`.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Mutable access to the elements, valid only inside `body`; copies shared storage first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Element access by flat row-major index.
    @inlinable
    public subscript(flat index: Int) -> Float {
        get { storage.withUnsafeBufferPointer { $0[index] } }
        set { withUnsafeMutableBufferPointer { $0[index] = newValue } }
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and every element (bitwise-identical runs compare equal).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        return lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in
                a.elementsEqual(b)
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = elements.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
