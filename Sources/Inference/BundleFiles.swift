/// The file names inside a model bundle, next to `manifest.json`.
///
/// The offline pipeline writes them and the daemon, `resid evaluate` and `resid tokenize` read
/// them: one list keeps writer and readers agreeing on the layout.
public enum BundleFiles {
    /// The trained FAMAE model: item vectors, and cold-start vectors for new items.
    public static let famae = "famae.safetensors"
    /// The fitted GAOQ codebook that new items are placed against.
    public static let codebook = "gaoq.safetensors"
    /// The SID generator (either architecture; the file's metadata says which).
    public static let generator = "generator.safetensors"
    /// The frozen item table with every item's SID (``BundleItems``).
    public static let items = "items.json"
    /// The offline pipeline's summary: stage times, test metrics, beam counts.
    public static let evaluation = "evaluation.json"
}
