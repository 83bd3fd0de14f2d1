import Foundation

/// CPU seconds this process has used so far, all threads: on a shared machine wall time includes
/// waiting for other processes, CPU time does not, so reports give both.
func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
