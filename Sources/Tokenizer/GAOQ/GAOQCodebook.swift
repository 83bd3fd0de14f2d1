public import Foundation
public import Tensor

/// A fitted GAOQ quantiser, frozen: everything the online assigner needs plus the item table.
///
/// Level-2 child centroids are stored per parent by the parent's local child index; the
/// `childToAnchor` permutation turns a child into its shared level-2 code.
public struct GAOQCodebook: Sendable {
    /// Vector length `D`.
    public let dimension: Int
    /// Level-1 clusters.
    public let b1: Int
    /// Level-2 children per parent (and shared level-2 anchors).
    public let b2: Int
    /// Level-3 codes per `(c1, c2)` group (the level-3 anchors): the largest group at fit time
    /// plus the fit's slack. Codebooks fitted before slack existed have exactly the largest group.
    public let g3: Int
    /// `[b1, D]` level-1 centroids.
    public let level1Centroids: Tensor
    /// `[b1 * b2, D]`: row `p * b2 + child` is child `child` of parent `p`, in the original space.
    public let level2Centroids: Tensor
    /// `[b1 * b2]`: the level-2 code (anchor) of each child, `-1` for children a small parent lacks.
    public let childToAnchor: [Int]
    /// `[b2, D]` shared level-2 anchors, orthonormal rows.
    public let level2Anchors: Tensor
    /// `[g3, D]` shared level-3 anchors, orthonormal rows.
    public let level3Anchors: Tensor
    /// The SID of every item seen at fit time, by item index.
    public let itemSIDs: [SemanticID]

    /// The largest `(c1, c2)` group of the fitted items. `g3` minus this is the room every
    /// group has at least for items tokenized online.
    public var largestGroup: Int {
        var sizes: [Int: Int] = [:]
        for sid in itemSIDs { sizes[sid.c1 * b2 + sid.c2, default: 0] += 1 }
        return sizes.values.max() ?? 0
    }

    /// Level-3 codes some fitted item holds: the tokens a generator trained on this codebook's
    /// SIDs has seen. A new item on one of them is reachable by beam search; a code outside
    /// it (overflow, or an unheld slot) never occurred in training.
    public var heldLevel3Codes: Set<Int> { Set(itemSIDs.map(\.c3)) }

    /// The token layout `b1 + b2 + g3` with per-level offsets.
    public var vocabulary: SIDVocabulary { SIDVocabulary(sizes: [b1, b2, g3]) }

    /// The item SIDs as a generic table for diagnostics.
    public var table: SIDTable { SIDTable(codes: itemSIDs.map(\.codes), levelSizes: [b1, b2, g3]) }

    public init(
        level1Centroids: Tensor, level2Centroids: Tensor, childToAnchor: [Int],
        level2Anchors: Tensor, level3Anchors: Tensor, itemSIDs: [SemanticID]
    ) throws {
        guard level1Centroids.rank == 2, level2Anchors.rank == 2, level3Anchors.rank == 2, level2Centroids.rank == 2
        else {
            throw TokenizerError(.invalidCodebook, "GAOQ codebook: every centroid and anchor tensor must be rank 2")
        }
        dimension = level1Centroids.shape[1]
        b1 = level1Centroids.shape[0]
        b2 = level2Anchors.shape[0]
        g3 = level3Anchors.shape[0]
        guard level2Centroids.shape == [b1 * b2, dimension], level2Anchors.shape[1] == dimension,
            level3Anchors.shape[1] == dimension, childToAnchor.count == b1 * b2
        else {
            throw TokenizerError(
                .invalidCodebook,
                "GAOQ codebook: shapes disagree (level1.centroids \(level1Centroids.shape), level2.centroids \(level2Centroids.shape), level2.anchors \(level2Anchors.shape), level3.anchors \(level3Anchors.shape), child_to_anchor \(childToAnchor.count))"
            )
        }
        let codes = b2
        guard childToAnchor.allSatisfy({ $0 >= -1 && $0 < codes }) else {
            throw TokenizerError(
                .invalidCodebook, "GAOQ codebook: level2.child_to_anchor holds a code outside -1..<\(b2)")
        }
        self.level1Centroids = level1Centroids
        self.level2Centroids = level2Centroids
        self.childToAnchor = childToAnchor
        self.level2Anchors = level2Anchors
        self.level3Anchors = level3Anchors
        self.itemSIDs = itemSIDs
    }

    /// The anchor index of `child` under `parent`, or `nil` when that child does not exist.
    public func anchor(parent: Int, child: Int) -> Int? {
        let code = childToAnchor[parent * b2 + child]
        return code >= 0 ? code : nil
    }
}

extension GAOQCodebook {
    /// Tensor names used in `gaoq.safetensors`.
    public enum TensorName {
        public static let level1Centroids = "level1.centroids"
        public static let level2Centroids = "level2.centroids"
        public static let childToAnchor = "level2.child_to_anchor"
        public static let level2Anchors = "level2.anchors"
        public static let level3Anchors = "level3.anchors"
        public static let itemSIDs = "items.sids"
    }

    /// The codebook as named tensors. Integer tables are stored as `Float32` (exact below 2^24,
    /// far above any code or catalogue size here), so one tensor type covers the whole file.
    public func namedTensors() -> [String: Tensor] {
        [
            TensorName.level1Centroids: level1Centroids,
            TensorName.level2Centroids: level2Centroids,
            TensorName.childToAnchor: Tensor(shape: [b1, b2], elements: childToAnchor.map(Float.init)),
            TensorName.level2Anchors: level2Anchors,
            TensorName.level3Anchors: level3Anchors,
            TensorName.itemSIDs: Tensor(
                shape: [itemSIDs.count, 3], elements: itemSIDs.flatMap { $0.codes.map(Float.init) }),
        ]
    }

    /// Rebuilds a codebook from ``namedTensors()``.
    /// - Throws: ``TokenizerError`` naming the missing or malformed tensor.
    public init(namedTensors tensors: [String: Tensor]) throws {
        func tensor(_ name: String) throws -> Tensor {
            guard let t = tensors[name] else {
                throw TokenizerError(
                    .invalidCodebook,
                    "GAOQ codebook: tensor '\(name)' is missing; the file is not a GAOQ codebook or is truncated")
            }
            return t
        }
        func integers(_ name: String) throws -> [Int] {
            try tensor(name).elements.map { value in
                guard value.isFinite, value == value.rounded(), abs(value) < 16_777_216 else {
                    throw TokenizerError(
                        .invalidCodebook, "GAOQ codebook: tensor '\(name)' holds \(value), not an integer code")
                }
                return Int(value)
            }
        }
        let sids = try tensor(TensorName.itemSIDs)
        guard sids.rank == 2, sids.shape[1] == 3 else {
            throw TokenizerError(
                .invalidCodebook, "GAOQ codebook: '\(TensorName.itemSIDs)' must be [items, 3], got \(sids.shape)")
        }
        let codes = try integers(TensorName.itemSIDs)
        try self.init(
            level1Centroids: tensor(TensorName.level1Centroids),
            level2Centroids: tensor(TensorName.level2Centroids),
            childToAnchor: integers(TensorName.childToAnchor),
            level2Anchors: tensor(TensorName.level2Anchors),
            level3Anchors: tensor(TensorName.level3Anchors),
            itemSIDs: (0..<sids.shape[0]).map { SemanticID(codes[3 * $0], codes[3 * $0 + 1], codes[3 * $0 + 2]) }
        )
    }
}

extension GAOQCodebook {
    /// The `format` metadata value written into `gaoq.safetensors`.
    public static let fileFormat = "resid-gaoq/1"

    /// Writes the codebook as safetensors (see ``namedTensors()`` for the layout).
    public func save(to url: URL) throws {
        try SafeTensors.write(namedTensors(), metadata: ["format": Self.fileFormat], to: url)
    }

    /// Reads a codebook written by ``save(to:)``.
    /// - Throws: the reader's error for a malformed file, ``TokenizerError`` for a file that is
    ///   valid safetensors but not a GAOQ codebook.
    public init(contentsOf url: URL) throws {
        let contents = try SafeTensors.read(url)
        if let format = contents.metadata["format"], format != Self.fileFormat {
            throw TokenizerError(.invalidCodebook, "\(url.path): format '\(format)' is not \(Self.fileFormat)")
        }
        try self.init(namedTensors: contents.tensors)
    }
}
