/// Anything that ranks the catalogue for a user's history: the SID generator with its beam
/// search, SASRec, SASRec*.
///
/// Item indices are those of the prepared dataset's item table.
public protocol SequenceRecommender {
    /// A short name for reports (`resid-generator`, `sasrec`, ...).
    var name: String { get }

    /// The top `k` items for each history, best first, leaving out the items of the matching
    /// `excluding` list. Histories are oldest first and already cut to the model's history
    /// limit; `excluding` is either empty (nothing left out) or holds one list per history, in
    /// any order (a user's every earlier interaction, which may reach further back than the
    /// history the model reads).
    /// - Throws: if a history refers to an item the model does not know.
    func recommend(histories: [ArraySlice<Int32>], k: Int, excluding: [ArraySlice<Int32>]) throws -> [[Int32]]
}

extension SequenceRecommender {
    /// The top `k` items for each history, best first, with nothing left out.
    public func recommend(histories: [ArraySlice<Int32>], k: Int) throws -> [[Int32]] {
        try recommend(histories: histories, k: k, excluding: [])
    }
}
