/// A model that beam search can drive one token at a time: it returns, for every live row, the
/// log-probability of each next token.
///
/// Rows are grouped by user: at step 0 there is one row per user (the decoder start); at step
/// `s > 0` there are `users · width` rows, row `u · width + j` belonging to user `u`. Each row
/// extends a row of the previous step (`parents`) by one token (`tokens`), so a scorer with a
/// key/value cache reorders its cache by `parents` and feeds one new position per row.
public protocol BeamScorer {
    /// Number of tokens each row is scored over.
    var vocabularySize: Int { get }

    /// Writes `users · width × vocabularySize` log-probabilities, row-major, to `output`.
    ///
    /// - Parameters:
    ///   - step: 0-based decoding step (the number of tokens each row already has).
    ///   - users: number of users in the batch (constant over one search).
    ///   - width: rows per user at this step (1 at step 0).
    ///   - tokens: for `step > 0`, each row's newest token (`users · width` entries); empty at step 0.
    ///   - parents: for `step > 0`, each row's parent row index in the previous step; empty at step 0.
    ///   - output: room for `users · width · vocabularySize` floats.
    mutating func logProbabilities(
        step: Int, users: Int, width: Int,
        tokens: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
        into output: UnsafeMutablePointer<Float>
    )
}
