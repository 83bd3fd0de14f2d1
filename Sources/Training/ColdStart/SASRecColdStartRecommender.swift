public import Evaluation
public import Models
import Tensor

/// SASRec* in a cold-start evaluation: trained on the warm items, it scores a new item by the
/// representation its fields alone give (``SASRecModel/scores(histories:coldItemFields:)``),
/// in histories and as a candidate.
public struct SASRecColdStartRecommender: ColdStartRecommender {
    public let name: String
    private let model: SASRecModel
    /// Per new item, its codes in each of the model's fields (the warm vocabularies; a value
    /// they lack is unknown).
    private let coldItemFields: [[[Int32]]]

    public init(name: String = "sasrec* (fields only for new items)", model: SASRecModel, coldItemFields: [[[Int32]]]) {
        self.name = name
        self.model = model
        self.coldItemFields = coldItemFields
    }

    public func recommend(_ requests: [ColdStartRequest], k: Int, newOnly: Bool) throws -> [[Int32]] {
        let scores = model.scores(histories: requests.map(\.history), coldItemFields: coldItemFields)
        let n = model.itemCount + coldItemFields.count
        let first = newOnly ? model.itemCount : 0
        return scores.withUnsafeBufferPointer { p in
            (0..<requests.count).map { row in
                TrainableSASRec.topK(p.baseAddress! + row * n + first, count: n - first, k: k).map { $0 + Int32(first) }
            }
        }
    }
}
