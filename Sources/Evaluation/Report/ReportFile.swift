import Foundation

/// A results report kept on disk as `NAME.json` (the rows) beside `NAME.md` (the rendering), so
/// separate runs can add rows to one table.
public struct ReportFile: Sendable {
    /// Path of the Markdown file; the JSON sits next to it with extension `.json`.
    public let path: String

    public init(path: String) { self.path = path }

    var jsonPath: String { (path as NSString).deletingPathExtension + ".json" }

    /// The rows so far (a fresh report when the files do not exist yet).
    public func load() throws -> ResultsReport {
        guard FileManager.default.fileExists(atPath: jsonPath) else {
            return ResultsReport(title: "ReSID offline results", environment: Self.environment())
        }
        return try JSONDecoder().decode(ResultsReport.self, from: Data(contentsOf: URL(fileURLWithPath: jsonPath)))
    }

    /// Adds a row and rewrites both files.
    public func append(_ row: ResultsReport.Row) throws {
        var report = try load()
        report.rows.append(row)
        try save(report)
    }

    /// Writes both files.
    public func save(_ report: ResultsReport) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: jsonPath), options: .atomic)
        try Data(report.markdown.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Cores and OS, for the report header.
    public static func environment() -> String {
        let info = ProcessInfo.processInfo
        return
            "Machine: \(info.activeProcessorCount) cores, \(info.physicalMemory >> 30) GiB, \(info.operatingSystemVersionString)."
    }
}
