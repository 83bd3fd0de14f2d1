import Foundation

/// The results table of an offline comparison, as JSON and as Markdown.
public struct ResultsReport: Sendable, Codable {
    /// One trained and evaluated model.
    public struct Row: Sendable, Codable {
        /// Model (`resid-generator`, `sasrec`, `sasrec*`).
        public var model: String
        /// SID quantiser (`gaoq`, `rq-kmeans`, `hkmeans`) or `-` for ID models.
        public var tokenizer: String
        /// Dataset name; synthetic data is named and flagged as such.
        public var dataset: String
        /// True for generated data.
        public var synthetic: Bool
        /// The settings that matter for comparison (sizes, budget, sampling rule, beam).
        public var configuration: String
        /// Training wall-clock seconds (all stages this row needed).
        public var trainSeconds: Double
        /// Epochs (or partial epochs) actually trained.
        public var epochs: Double
        /// The split the metrics come from.
        public var split: String
        /// Users scored.
        public var users: Int
        /// Metrics by name (`recall@5`, `ndcg@10`, ...).
        public var metrics: [String: Double]
        /// Anything a reader must know (stopped by budget, user limit...).
        public var notes: String

        public init(
            model: String, tokenizer: String, dataset: String, synthetic: Bool, configuration: String,
            trainSeconds: Double, epochs: Double, split: String, users: Int, metrics: [String: Double],
            notes: String = ""
        ) {
            (self.model, self.tokenizer, self.dataset, self.synthetic, self.configuration) = (
                model, tokenizer, dataset, synthetic, configuration
            )
            (self.trainSeconds, self.epochs, self.split, self.users, self.metrics, self.notes) = (
                trainSeconds, epochs, split, users, metrics, notes
            )
        }
    }

    /// A title line for the Markdown rendering.
    public var title: String
    /// Machine and build notes (cores, BLAS threads, commit).
    public var environment: String
    /// Rows in the order they were added.
    public var rows: [Row]

    public init(title: String, environment: String, rows: [Row] = []) {
        self.title = title
        self.environment = environment
        self.rows = rows
    }

    /// `0.0912 ± 0.0094` when the standard error is known, else the value alone.
    static func cell(_ metrics: [String: Double], _ name: String) -> String {
        guard let value = metrics[name] else { return "-" }
        guard let se = metrics[name + ".se"] else { return String(format: "%.4f", value) }
        return String(format: "%.4f ± %.4f", value, se)
    }

    /// The metric columns shown, in order.
    public static let metricColumns = ["recall@5", "recall@10", "ndcg@5", "ndcg@10"]

    /// A Markdown page: title, environment, one table row per model, and the notes.
    public var markdown: String {
        var lines = ["# \(title)", "", environment, ""]
        if rows.contains(where: \.synthetic) {
            lines += ["**Rows marked (synthetic) use generated data, not a real dataset.**", ""]
        }
        let header =
            ["model", "tokenizer", "dataset", "config", "train s", "epochs", "split", "users"]
            + Self.metricColumns.map {
                $0.replacingOccurrences(of: "recall", with: "R").replacingOccurrences(of: "ndcg", with: "N")
            }
        lines.append("| " + header.joined(separator: " | ") + " |")
        lines.append("|" + Array(repeating: "---", count: header.count).joined(separator: "|") + "|")
        for row in rows {
            let cells =
                [
                    row.model, row.tokenizer, row.dataset + (row.synthetic ? " (synthetic)" : ""), row.configuration,
                    String(format: "%.0f", row.trainSeconds), String(format: "%.2f", row.epochs), row.split,
                    String(row.users),
                ] + Self.metricColumns.map { Self.cell(row.metrics, $0) }
            lines.append(
                "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        let noted = rows.filter { !$0.notes.isEmpty }
        if !noted.isEmpty {
            lines += ["", "Notes:", ""]
            for row in noted { lines.append("- \(row.model) / \(row.tokenizer) / \(row.dataset): \(row.notes)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
