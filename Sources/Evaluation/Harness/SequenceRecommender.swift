/// Anything that ranks the catalogue for a user's history: the SID generator with its beam
/// search, SASRec, SASRec*.
///
/// Item indices are those of the prepared dataset's item table.
public protocol SequenceRecommender {
    /// A short name for reports (`resid-generator`, `sasrec`, ...).
    var name: String { get }

    /// The top `k` items for each history, best first. Histories are oldest first and already
    /// cut to the model's history limit.
    /// - Throws: if a history refers to an item the model does not know.
    func recommend(histories: [ArraySlice<Int32>], k: Int) throws -> [[Int32]]
}
