import ArgumentParser

/// `--cache-dir`: where `resid data fetch` puts the MovieLens datasets and every command that
/// trains or measures on them reads them.
struct DatasetCacheOptions: ParsableArguments {
    @Option(
        name: .customLong("cache-dir"),
        help: "Dataset cache directory for ml-1m / ml-100k (default: $RESID_CACHE/datasets or ~/.cache/resid/datasets)."
    )
    var directory: String?
}
