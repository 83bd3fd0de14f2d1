import Harness

/// `value` cut (not rounded) to `digits` decimals (``truncatedDecimal(_:digits:)``), under the
/// short name the commands' text lines use.
func format(_ value: Double, digits: Int = 1) -> String {
    truncatedDecimal(value, digits: digits)
}
