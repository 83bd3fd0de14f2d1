/// `value` cut (not rounded) to `digits` decimals, for the text lines of the measuring commands.
public func truncatedDecimal(_ value: Double, digits: Int = 1) -> String {
    var text = String(value)
    if let dot = text.firstIndex(of: ".") {
        let end = text.index(dot, offsetBy: digits + 1, limitedBy: text.endIndex) ?? text.endIndex
        text = String(text[..<end])
    }
    return text
}
