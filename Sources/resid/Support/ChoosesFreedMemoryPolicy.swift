import Tensor

/// A command whose process needs an allocator policy other than ``FreedMemoryPolicy/retainForReuse``,
/// which `resid` applies for every other command.
protocol ChoosesFreedMemoryPolicy {
    static var freedMemoryPolicy: FreedMemoryPolicy { get }
}
