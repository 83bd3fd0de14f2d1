import ArgumentParser

/// `--threads`: the worker threads of commands that train. The sequence models split each batch
/// across this many data-parallel workers (OpenBLAS runs one thread per worker, so the machine
/// is never oversubscribed); the FAMAE trainer gives them to OpenBLAS. The default, 2, is one per
/// core of the machine the published figures come from.
struct TrainingThreadOptions: ParsableArguments {
    @Option(
        help:
            "Training threads: data-parallel workers of the sequence models (one OpenBLAS thread each), OpenBLAS threads of the FAMAE."
    )
    var threads = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}
