#if canImport(Glibc)
import CMalloc
#endif

/// How the process's allocator treats tensor memory that has been freed.
///
/// A training step allocates and frees the same activation buffers, megabytes each, at every
/// step. With glibc's defaults those blocks go back to the kernel (blocks above the dynamic
/// `mmap` threshold are unmapped; free space at the top of a heap is trimmed once it passes
/// 128 KB), so the next step faults every 4 KB page in again and the kernel clears it: 11% of a
/// causal-generator training step's samples in a `perf` profile (batch 64, one worker), gone
/// with ``retainFreedMemory()``. The cost is a resident size that stays at its peak, which a
/// training run or a long-running daemon reaches in its first steps anyway.
public enum FreedMemoryPolicy {
    /// Keeps freed blocks of up to 32 MB in the process for reuse: a fixed `mmap` threshold at
    /// glibc's 64-bit maximum, and no heap trimming. Call once, before the first large
    /// allocation; it does nothing on platforms other than glibc.
    public static func retainFreedMemory() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }

    /// For a long-running daemon rather than training: a decode pass allocates and frees tensors
    /// of several megabytes from several threads, and glibc's defaults (a dynamic mmap threshold
    /// that rises to 32 MiB, up to 8 arenas per core) keep those freed blocks in per-thread
    /// arenas, so the daemon's RSS grows to a multiple of what it uses. A fixed 1 MiB mmap
    /// threshold returns large blocks to the system on free, and two arenas bound the rest. Call
    /// after ``retainFreedMemory()``, whose threshold this replaces.
    public static func returnLargeBlocks() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
        _ = mallopt(M_ARENA_MAX, 2)
        #endif
    }
}
