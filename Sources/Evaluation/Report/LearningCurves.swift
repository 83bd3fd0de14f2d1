import Foundation

/// Validation Recall@10 against training wall time for several models, as one SVG line chart
/// (no dependencies; any browser shows it). Each point carries its standard error as a
/// vertical bar, so crossing curves within the noise read as such.
public struct LearningCurves: Sendable {
    /// One model's validation history.
    public struct Series: Sendable {
        public var name: String
        /// `(seconds, recall@10, standard error)` in time order.
        public var points: [(seconds: Double, value: Double, error: Double)]

        public init(name: String, points: [(seconds: Double, value: Double, error: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var series: [Series] = []

    public init(title: String) { self.title = title }

    /// The chart, 800 × 480.
    public var svg: String {
        let (width, height, left, right, top, bottom) = (800.0, 480.0, 70.0, 190.0, 40.0, 50.0)
        let all = series.flatMap(\.points)
        let maxX = max(all.map(\.seconds).max() ?? 1, 1)
        let maxY = max(all.map { $0.value + $0.error }.max() ?? 0.01, 0.01) * 1.05
        func x(_ s: Double) -> Double { left + (width - left - right) * s / maxX }
        func y(_ v: Double) -> Double { height - bottom - (height - top - bottom) * v / maxY }
        let colours = [
            "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf",
        ]
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(left)\" y=\"24\" font-size=\"15\">\(Self.escape(title))</text>",
            "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"black\"/>",
            "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"black\"/>",
            "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">training wall time (s)</text>",
            "<text x=\"16\" y=\"\((top + height - bottom) / 2)\" transform=\"rotate(-90 16 \((top + height - bottom) / 2))\" text-anchor=\"middle\">validation Recall@10</text>",
        ]
        for tick in 0...5 {
            let (sx, vy) = (maxX * Double(tick) / 5, maxY * Double(tick) / 5)
            out.append(
                "<text x=\"\(x(sx))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(Int(sx.rounded()))</text>")
            out.append(
                "<text x=\"\(left - 6)\" y=\"\(y(vy) + 4)\" text-anchor=\"end\">\(String(format: "%.3f", vy))</text>")
            out.append("<line x1=\"\(left)\" y1=\"\(y(vy))\" x2=\"\(width - right)\" y2=\"\(y(vy))\" stroke=\"#eee\"/>")
        }
        for (index, line) in series.enumerated() {
            let colour = colours[index % colours.count]
            let path = line.points.map { "\(x($0.seconds)),\(y($0.value))" }.joined(separator: " ")
            out.append("<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(path)\"/>")
            for point in line.points {
                out.append(
                    "<line x1=\"\(x(point.seconds))\" y1=\"\(y(point.value - point.error))\" x2=\"\(x(point.seconds))\" y2=\"\(y(point.value + point.error))\" stroke=\"\(colour)\" stroke-opacity=\"0.5\"/>"
                )
            }
            let legendY = top + 18 * Double(index)
            out.append(
                "<line x1=\"\(width - right + 10)\" y1=\"\(legendY)\" x2=\"\(width - right + 30)\" y2=\"\(legendY)\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            )
            out.append("<text x=\"\(width - right + 36)\" y=\"\(legendY + 4)\">\(Self.escape(line.name))</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
