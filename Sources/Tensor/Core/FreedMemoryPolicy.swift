#if canImport(Glibc)
import CMalloc
#endif

/// How the process's allocator (glibc's malloc) treats memory that has been freed: one policy per
/// process, chosen by what the process does, set once before its first large allocation. It does
/// nothing on platforms other than glibc.
public enum FreedMemoryPolicy: Sendable {
    /// Keep freed blocks of up to 32 MB in the process for reuse: a fixed `mmap` threshold at
    /// glibc's 64-bit maximum, and no heap trimming.
    ///
    /// For training and offline benchmarks. A training step allocates and frees the same
    /// activation buffers, megabytes each, at every step. With glibc's defaults those blocks go
    /// back to the kernel (blocks above the dynamic `mmap` threshold are unmapped; free space at
    /// the top of a heap is trimmed once it passes 128 KB), so the next step faults every 4 KB
    /// page in again and the kernel clears it: 11% of a causal-generator training step's samples
    /// in a `perf` profile (batch 64, one worker). The cost is a resident size that stays at its
    /// peak, which a training run reaches in its first steps anyway.
    case retainForReuse

    /// Return large blocks to the system on free, trim the heaps' free tops, and bound the
    /// arenas to two: a fixed 1 MiB `mmap` threshold, glibc's 128 KiB trim threshold, two arenas.
    ///
    /// For the long-running daemon. Its decode passes allocate and free tensors of several
    /// megabytes from several threads; with glibc's defaults (a dynamic `mmap` threshold that
    /// rises to 32 MiB, up to 8 arenas per core) or with ``retainForReuse``, those freed blocks
    /// stay in per-thread arenas and RSS grows to a multiple of what the daemon uses. The
    /// page faults of re-mapping a decode's buffers are small next to the decode itself.
    case returnToSystem

    /// Applies the policy to the process. Call once, at start-up.
    public func apply() {
        #if canImport(Glibc)
        switch self {
        case .retainForReuse:
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        case .returnToSystem:
            _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 128 << 10)
            _ = mallopt(M_ARENA_MAX, 2)
        }
        #endif
    }
}

/// The allocator's own account of the process's heap (glibc's `mallinfo2`, summed over every
/// arena): what the program holds, and what it has freed but the allocator keeps mapped. Next to
/// the resident size it tells a leak (``inUseBytes`` grows) from retention or fragmentation
/// (``retainedFreeBytes`` grows) from memory outside `malloc` (neither grows). All zero on
/// platforms other than glibc.
public struct HeapStatistics: Sendable, Equatable {
    /// Bytes in allocated blocks, heap and `mmap`ed (`uordblks + hblkhd`).
    public var inUseBytes: Int
    /// Bytes in free blocks the allocator keeps for reuse (`fordblks`).
    public var retainedFreeBytes: Int

    /// Reads the statistics now (it walks the arenas under their locks: microseconds).
    public static func current() -> HeapStatistics {
        #if canImport(Glibc)
        let info = mallinfo2()
        return HeapStatistics(
            inUseBytes: Int(info.uordblks) + Int(info.hblkhd), retainedFreeBytes: Int(info.fordblks))
        #else
        return HeapStatistics(inUseBytes: 0, retainedFreeBytes: 0)
        #endif
    }
}
