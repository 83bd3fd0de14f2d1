extension Tensor {
    /// The first element, for read-only kernels inside this module.
    ///
    /// - Important: valid only while this tensor's storage is alive. Kernels take their inputs
    ///   as parameters (kept alive for the call) or hold them in a variable, and write only
    ///   through ``uniquePointer()``.
    @inlinable var pointer: UnsafeMutablePointer<Float> { storage.base }

    /// The first element of storage this tensor owns alone (copied first if shared), for
    /// kernels that write in place.
    @inlinable mutating func uniquePointer() -> UnsafeMutablePointer<Float> {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
        return storage.base
    }
}
