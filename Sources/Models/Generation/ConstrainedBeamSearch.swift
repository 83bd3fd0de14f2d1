public import Tokenizer

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Batched beam search over Semantic IDs, constrained by a ``SIDTrie`` so that every beam is a
/// real item, ranking items by the sum of their tokens' log-probabilities.
///
/// Many users decode together: each step scores `users × width` rows in one call to the
/// ``BeamScorer`` (so its GEMMs have many rows), then keeps each user's best `beamWidth`
/// extensions with a bounded min-heap. All working memory is allocated once per batch size and
/// reused, so the selection loop allocates nothing.
///
/// With `constrained: false` the trie is not consulted while decoding (every token of
/// ``unconstrainedTokens`` may follow any prefix); the finished beams are then looked up in the
/// trie and those that are no item are counted as invalid. That mode exists to measure what the
/// constraint prevents.
public final class ConstrainedBeamSearch {
    /// Beams kept per user (50 in the paper).
    public let beamWidth: Int
    /// Token ID of code 0 at each level: token = `tokenOffsets[level] + code`.
    public let tokenOffsets: [Int]
    /// The tokens an unconstrained search may emit at any step (normally every SID token of
    /// every level, never the special tokens).
    public let unconstrainedTokens: Range<Int>
    /// How the last code of a cold item is scored (see ``SIDTrie/firstColdItem``). The default,
    /// the group mean split among the group's cold items by their token probabilities, ranked
    /// new items best of the scorings `resid evaluate-coldstart` compares on its selection users.
    public var coldItemScoring: ColdItemScoring = .groupMeanSplitByGenerator(exponent: 1)
    /// Scores added to some items' log-probabilities, with per-node bounds that steer the
    /// search towards them (see ``ItemScoreBonus``); finished beams' scores include them. Used
    /// by the constrained search only.
    public var bonus: ItemScoreBonus?
    /// Whether each step's log-probabilities are renormalised over the children of the row's
    /// node, for a generator trained with its softmax over the trie (see
    /// ``CausalGeneratorConfiguration/softmaxOverTrie``). At the last level only the warm
    /// children (the items the generator was trained on) form the normaliser, as in training:
    /// a cold item's code was masked out of its group's softmax, so its logit there is not a
    /// trained probability. Used by the constrained search only.
    public var normalizesOverChildren = false

    private var capacityUsers = 0
    private var capacityVocabulary = 0
    private var vocabulary = 0
    // Per row of the current and next step.
    private var scores: UnsafeMutablePointer<Float>
    private var nodes: UnsafeMutablePointer<Int32>
    private var history: UnsafeMutablePointer<Int32>
    private var nextScores: UnsafeMutablePointer<Float>
    private var nextNodes: UnsafeMutablePointer<Int32>
    private var nextHistory: UnsafeMutablePointer<Int32>
    private var tokens: UnsafeMutablePointer<Int32>
    private var parents: UnsafeMutablePointer<Int32>
    private var logProbabilities: UnsafeMutablePointer<Float>
    // Per-user selections of one step: users × beamWidth, and each user's count.
    private var chosenScore: UnsafeMutablePointer<Float>
    private var chosenParent: UnsafeMutablePointer<Int32>
    private var chosenToken: UnsafeMutablePointer<Int32>
    private var chosenNode: UnsafeMutablePointer<Int32>
    private var chosenCount: UnsafeMutablePointer<Int>
    // One flag per item id: the items the user being selected must not end on.
    private var leftOut: UnsafeMutablePointer<Bool>
    private var leftOutCapacity = 0

    /// A search with `beamWidth` beams per user.
    /// - Parameters:
    ///   - beamWidth: beams kept per user; must be positive.
    ///   - tokenOffsets: per level, the token of code 0 (one entry per SID level).
    ///   - unconstrainedTokens: tokens allowed at every step when the trie is switched off.
    public init(beamWidth: Int = 50, tokenOffsets: [Int], unconstrainedTokens: Range<Int>) {
        precondition(
            beamWidth > 0 && !tokenOffsets.isEmpty, "ConstrainedBeamSearch: beam width and levels must be positive")
        self.beamWidth = beamWidth
        self.tokenOffsets = tokenOffsets
        self.unconstrainedTokens = unconstrainedTokens
        (scores, nextScores, logProbabilities, chosenScore) = (
            .allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0)
        )
        (nodes, history, nextNodes, nextHistory) = (
            .allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0)
        )
        (tokens, parents, chosenParent, chosenToken, chosenNode) = (
            .allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0),
            .allocate(capacity: 0)
        )
        chosenCount = .allocate(capacity: 0)
        leftOut = .allocate(capacity: 0)
    }

    deinit {
        release()
        leftOut.deallocate()
    }

    /// Number of SID levels decoded.
    public var levels: Int { tokenOffsets.count }

    /// Decodes `users` rows of `scorer` and returns each user's finished beams, best first.
    ///
    /// - Parameters:
    ///   - scorer: the model; see ``BeamScorer`` for the row layout.
    ///   - users: number of users in the batch.
    ///   - trie: the catalogue snapshot; used for the constraint and to map beams to items.
    ///   - constrained: false switches the trie constraint off (for the invalid-beam measurement).
    ///   - excluding: empty, or per user the items no beam may end on (the user's earlier items);
    ///     they are cut at the last level, so the beams go to the best items left. Needs the
    ///     constraint (an unconstrained beam has no item until it is looked up).
    /// - Returns: up to ``beamWidth`` beams per user with their item (or -1 when the beam is no
    ///   item) and log-probability.
    public func search<Scorer: BeamScorer>(
        _ scorer: inout Scorer, users: Int, trie: SIDTrie, constrained: Bool = true, excluding: [ArraySlice<Int32>] = []
    ) -> BeamSearchResult {
        precondition(
            excluding.isEmpty || excluding.count == users,
            "ConstrainedBeamSearch: \(excluding.count) exclusion lists for \(users) users")
        if !excluding.isEmpty { reserveLeftOut(items: excluding) }
        precondition(
            trie.levels == levels, "ConstrainedBeamSearch: trie has \(trie.levels) levels, search decodes \(levels)")
        let beam = beamWidth
        let vocabularySize = scorer.vocabularySize
        reserve(users: max(users, 1), vocabulary: vocabularySize)
        var width = 1
        var decodedRows = 0
        for u in 0..<users {  // one start row per user at the root
            scores[u] = 0
            nodes[u] = SIDTrie.root
        }
        for step in 0..<levels {
            let rows = users * width
            decodedRows += rows
            let stepTokens = UnsafeBufferPointer(start: tokens, count: step == 0 ? 0 : rows)
            let stepParents = UnsafeBufferPointer(start: parents, count: step == 0 ? 0 : rows)
            scorer.logProbabilities(
                step: step, users: users, width: width, tokens: stepTokens, parents: stepParents, into: logProbabilities
            )
            var nextWidth = 0
            let lastStep = step == levels - 1 && !excluding.isEmpty
            for u in 0..<users {
                if lastStep { mark(excluding[u], as: true) }
                let count = select(
                    user: u, width: width, step: step, trie: trie, constrained: constrained, skipsLeftOut: lastStep)
                if lastStep { mark(excluding[u], as: false) }
                nextWidth = max(nextWidth, count)
            }
            nextWidth = max(nextWidth, 1)
            // Lay the selections out as the next step's rows; a user with fewer than `nextWidth`
            // live beams gets dead rows (score -inf) that copy its first row so the scorer always
            // sees a valid parent.
            for u in 0..<users {
                let count = chosenCount[u]
                for j in 0..<nextWidth {
                    let row = u * nextWidth + j
                    let source = j < count ? u * beam + j : u * beam
                    let live = j < count
                    let parent = live ? Int(chosenParent[source]) : u * width
                    nextScores[row] = live ? chosenScore[source] : -.infinity
                    nextNodes[row] = live ? chosenNode[source] : -1
                    tokens[row] = live ? chosenToken[source] : Int32(tokenOffsets[step])
                    parents[row] = Int32(parent)
                    let (to, from) = (nextHistory + row * levels, history + parent * levels)
                    for l in 0..<step { to[l] = from[l] }
                    to[step] = tokens[row]
                }
            }
            swap(&scores, &nextScores)
            swap(&nodes, &nextNodes)
            swap(&history, &nextHistory)
            width = nextWidth
        }
        var result = finish(users: users, width: width, trie: trie, constrained: constrained)
        result.decodedRows = decodedRows
        return result
    }

    /// `log Σ exp(logp[offset + code])` over the children whose node or item is below `limit`
    /// (all children when none is).
    private static func logSumExp(
        codes: UnsafeBufferPointer<Int32>, children: UnsafeBufferPointer<Int32>, logp: UnsafeMutablePointer<Float>,
        offset: Int, below limit: Int32
    ) -> Float {
        let counted = children.contains { $0 < limit } ? limit : .max
        var peak = -Float.infinity
        for c in 0..<codes.count where children[c] < counted { peak = max(peak, logp[offset + Int(codes[c])]) }
        guard peak > -.infinity else { return 0 }
        var total: Float = 0
        for c in 0..<codes.count where children[c] < counted { total += exp(logp[offset + Int(codes[c])] - peak) }
        return peak + log(total)
    }

    /// Keeps user `u`'s best `beamWidth` one-token extensions in `chosen*[u · beamWidth ...]`,
    /// sorted best first; returns how many there are.
    private func select(user u: Int, width: Int, step: Int, trie: SIDTrie, constrained: Bool, skipsLeftOut: Bool) -> Int
    {
        let beam = beamWidth
        var heap = CandidateHeap(
            scores: chosenScore + u * beam, parents: chosenParent + u * beam, tokens: chosenToken + u * beam,
            nodes: chosenNode + u * beam, capacity: beam)
        let offset = tokenOffsets[step]
        let last = step == levels - 1
        let bonus = self.bonus
        for j in 0..<width {
            let row = u * width + j
            guard scores[row] > -.infinity else { continue }
            let logp = logProbabilities + row * vocabulary
            if constrained {
                // A row's score carries its node's bound (added when it was chosen); its
                // children get their own bound, or the item's bonus at the last level.
                let base = scores[row] - (bonus?.bound(nodes[row]) ?? 0)
                trie.withChildren(of: nodes[row]) { codes, children in
                    let normaliser =
                        normalizesOverChildren
                        ? Self.logSumExp(
                            codes: codes, children: children, logp: logp, offset: offset,
                            below: last ? trie.firstColdItem : .max)
                        : 0
                    let prior =
                        last
                        ? coldStartPrior(
                            node: nodes[row], codes: codes, children: children, logp: logp, offset: offset, trie: trie)
                        : nil
                    for c in 0..<codes.count {
                        if skipsLeftOut, Int(children[c]) < leftOutCapacity, leftOut[Int(children[c])] { continue }
                        let token = offset + Int(codes[c])
                        let score =
                            children[c] >= trie.firstColdItem ? (prior?.score(logp[token]) ?? logp[token]) : logp[token]
                        let lift = bonus.map { last ? $0.item(children[c]) : $0.bound(children[c]) } ?? 0
                        heap.push(
                            score: base + score - normaliser + lift, parent: Int32(row), token: Int32(token),
                            node: children[c])
                    }
                }
            } else {
                for token in unconstrainedTokens {
                    heap.push(score: scores[row] + logp[token], parent: Int32(row), token: Int32(token), node: -1)
                }
            }
        }
        heap.sortDescending()
        chosenCount[u] = heap.count
        return heap.count
    }

    /// The cold-start prior of a last-level node, or nil when it has no cold child, no trained
    /// code (among its children or its reference codes), or the scoring is the generator's own.
    @inline(__always)
    private func coldStartPrior(
        node: Int32, codes: UnsafeBufferPointer<Int32>, children: UnsafeBufferPointer<Int32>,
        logp: UnsafePointer<Float>, offset: Int, trie: SIDTrie
    ) -> ColdStartPrior? {
        let firstCold = trie.firstColdItem
        guard firstCold < .max, children.contains(where: { $0 >= firstCold }) else { return nil }
        let exponent: Float
        switch coldItemScoring {
        case .generator: return nil
        case .groupMean: exponent = 0
        case .groupMeanSplitByGenerator(let value): exponent = value
        }
        var (sum, trained): (Float, Int) = (0, 0)
        for c in 0..<codes.count where children[c] < firstCold {
            sum += expf(logp[offset + Int(codes[c])])
            trained += 1
        }
        trie.withReferenceCodes(of: node) { reference in
            for code in reference {
                sum += expf(logp[offset + Int(code)])
                trained += 1
            }
        }
        guard trained > 0 else { return nil }
        let logMean = logf(sum / Float(trained))
        guard exponent != 0 else { return ColdStartPrior(logMean: logMean, exponent: 0, logShare: 0) }
        // log of (cold count / sum of p^exponent over the cold children), stabilised by the max.
        var (top, cold): (Float, Int) = (-.infinity, 0)
        for c in 0..<codes.count where children[c] >= firstCold {
            top = max(top, exponent * logp[offset + Int(codes[c])])
            cold += 1
        }
        var total: Float = 0
        for c in 0..<codes.count where children[c] >= firstCold {
            total += expf(exponent * logp[offset + Int(codes[c])] - top)
        }
        return ColdStartPrior(logMean: logMean, exponent: exponent, logShare: logf(Float(cold) / total) - top)
    }

    private func finish(users: Int, width: Int, trie: SIDTrie, constrained: Bool) -> BeamSearchResult {
        var result = BeamSearchResult(users: users, width: width)
        var codes = [Int](repeating: 0, count: levels)
        for row in 0..<(users * width) {
            let score = scores[row]
            result.scores[row] = score
            guard score > -.infinity else { continue }
            result.beams += 1
            // Look every beam up in the trie, constrained or not: the invalid count is measured,
            // not assumed.
            var valid = true
            for l in 0..<levels {
                codes[l] = Int(history[row * levels + l]) - tokenOffsets[l]
                if codes[l] < 0 { valid = false }
            }
            let item = valid ? trie.item(codes: codes) : nil
            if constrained, let item, item != Int(nodes[row]) {
                preconditionFailure("ConstrainedBeamSearch: trie walk and lookup disagree (\(item) vs \(nodes[row]))")
            }
            if let item { result.items[row] = Int32(item) } else { result.invalidBeams += 1 }
        }
        return result
    }

    /// Flags (or clears) `items` in ``leftOut``.
    @inline(__always)
    private func mark(_ items: ArraySlice<Int32>, as flag: Bool) {
        for item in items where item >= 0 { leftOut[Int(item)] = flag }
    }

    /// Grows ``leftOut`` to cover every item in `lists` (all flags clear).
    private func reserveLeftOut(items lists: [ArraySlice<Int32>]) {
        let needed = lists.reduce(0) { max($0, Int($1.max() ?? -1) + 1) }
        guard needed > leftOutCapacity else { return }
        leftOut.deallocate()
        leftOut = .allocate(capacity: needed)
        leftOut.initialize(repeating: false, count: needed)
        leftOutCapacity = needed
    }

    /// Grows the working buffers to `users` users and `vocabulary` tokens (never shrinks).
    private func reserve(users: Int, vocabulary: Int) {
        self.vocabulary = vocabulary
        guard users > capacityUsers || vocabulary > capacityVocabulary else { return }
        release()
        capacityUsers = max(users, capacityUsers)
        capacityVocabulary = max(vocabulary, capacityVocabulary)
        let rows = capacityUsers * beamWidth
        scores = .allocate(capacity: rows)
        nextScores = .allocate(capacity: rows)
        nodes = .allocate(capacity: rows)
        nextNodes = .allocate(capacity: rows)
        history = .allocate(capacity: rows * levels)
        nextHistory = .allocate(capacity: rows * levels)
        tokens = .allocate(capacity: rows)
        parents = .allocate(capacity: rows)
        logProbabilities = .allocate(capacity: rows * capacityVocabulary)
        chosenScore = .allocate(capacity: rows)
        chosenParent = .allocate(capacity: rows)
        chosenToken = .allocate(capacity: rows)
        chosenNode = .allocate(capacity: rows)
        chosenCount = .allocate(capacity: capacityUsers)
    }

    private func release() {
        for p in [scores, nextScores, logProbabilities, chosenScore] { p.deallocate() }
        for p in [nodes, history, nextNodes, nextHistory, tokens, parents, chosenParent, chosenToken, chosenNode] {
            p.deallocate()
        }
        chosenCount.deallocate()
    }
}

/// A last-level node's cold-start prior: a cold child with token log-probability `l` scores
/// `logMean + exponent · l + logShare`, so the node's cold children together get `cold count ×
/// group mean`, split in proportion to `p^exponent`.
private struct ColdStartPrior {
    let logMean: Float
    let exponent: Float
    let logShare: Float

    @inline(__always)
    func score(_ logProbability: Float) -> Float {
        exponent == 0 ? logMean : logMean + exponent * logProbability + logShare
    }
}

/// The finished beams of one batch: `users × width` rows, each user's best first.
public struct BeamSearchResult: Sendable {
    /// Users in the batch.
    public let users: Int
    /// Beams per user (at most the beam width; fewer when the catalogue has fewer items).
    public let width: Int
    /// Item of each beam, or -1 for a dead beam or one that is no item.
    public var items: [Int32]
    /// Sequence log-probability of each beam (-inf for dead beams).
    public var scores: [Float]
    /// Live beams returned.
    public var beams = 0
    /// Live beams whose token sequence is not a valid SID (0 whenever the trie constrains).
    public var invalidBeams = 0
    /// Rows the scorer ran, summed over the steps: one per user at the first step, then
    /// `users × width` (the width is capped by the beam and by the trie's fan-out).
    public var decodedRows = 0

    init(users: Int, width: Int) {
        self.users = users
        self.width = width
        items = Array(repeating: -1, count: users * width)
        scores = Array(repeating: -.infinity, count: users * width)
    }

    /// User `u`'s items, best first, at most `k`, skipping invalid beams.
    public func ranking(user u: Int, k: Int) -> [Int32] {
        var out: [Int32] = []
        for j in 0..<width where out.count < k {
            let item = items[u * width + j]
            if item >= 0 { out.append(item) }
        }
        return out
    }
}

/// A bounded min-heap of candidate extensions over caller-owned storage: the root is the worst
/// kept candidate, so a better one replaces it in O(log capacity).
///
/// Ties are broken towards the lower (parent, token) pair so results do not depend on the order
/// candidates arrive in.
private struct CandidateHeap {
    let scores: UnsafeMutablePointer<Float>
    let parents: UnsafeMutablePointer<Int32>
    let tokens: UnsafeMutablePointer<Int32>
    let nodes: UnsafeMutablePointer<Int32>
    let capacity: Int
    var count = 0

    init(
        scores: UnsafeMutablePointer<Float>, parents: UnsafeMutablePointer<Int32>, tokens: UnsafeMutablePointer<Int32>,
        nodes: UnsafeMutablePointer<Int32>, capacity: Int
    ) {
        (self.scores, self.parents, self.tokens, self.nodes, self.capacity) = (scores, parents, tokens, nodes, capacity)
    }

    /// Whether entry `a` ranks below entry `b`.
    @inline(__always)
    private func worse(_ a: Int, _ b: Int) -> Bool {
        if scores[a] != scores[b] { return scores[a] < scores[b] }
        if parents[a] != parents[b] { return parents[a] > parents[b] }
        return tokens[a] > tokens[b]
    }

    @inline(__always)
    private func worse(score: Float, parent: Int32, token: Int32, than i: Int) -> Bool {
        if score != scores[i] { return score < scores[i] }
        if parent != parents[i] { return parent > parents[i] }
        return token > tokens[i]
    }

    @inline(__always)
    mutating func push(score: Float, parent: Int32, token: Int32, node: Int32) {
        guard score > -.infinity else { return }
        if count < capacity {
            var i = count
            count += 1
            set(i, score, parent, token, node)
            while i > 0 {
                let up = (i - 1) / 2
                guard worse(i, up) else { break }
                exchange(i, up)
                i = up
            }
            return
        }
        guard !worse(score: score, parent: parent, token: token, than: 0) else { return }
        set(0, score, parent, token, node)
        siftDown(from: 0, count: count)
    }

    /// Orders the kept entries best first (heap sort in place).
    mutating func sortDescending() {
        var end = count
        while end > 1 {
            end -= 1
            exchange(0, end)
            siftDown(from: 0, count: end)
        }
    }

    @inline(__always)
    private func siftDown(from start: Int, count n: Int) {
        var i = start
        while true {
            let (l, r) = (2 * i + 1, 2 * i + 2)
            var smallest = i
            if l < n, worse(l, smallest) { smallest = l }
            if r < n, worse(r, smallest) { smallest = r }
            guard smallest != i else { return }
            exchange(i, smallest)
            i = smallest
        }
    }

    @inline(__always)
    private func set(_ i: Int, _ score: Float, _ parent: Int32, _ token: Int32, _ node: Int32) {
        scores[i] = score
        parents[i] = parent
        tokens[i] = token
        nodes[i] = node
    }

    @inline(__always)
    private func exchange(_ i: Int, _ j: Int) {
        swapAt(scores, i, j)
        swapAt(parents, i, j)
        swapAt(tokens, i, j)
        swapAt(nodes, i, j)
    }

    @inline(__always)
    private func swapAt<T>(_ p: UnsafeMutablePointer<T>, _ i: Int, _ j: Int) {
        let t = p[i]
        p[i] = p[j]
        p[j] = t
    }
}
