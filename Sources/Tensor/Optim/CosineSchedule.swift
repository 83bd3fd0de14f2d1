/// Learning rate with linear warm-up followed by cosine decay.
///
/// Step `s` (0-based) gets `peak · (s+1) / warmupSteps` while `s < warmupSteps`, then
/// `floor + (peak − floor) · ½ (1 + cos(π · progress))` with
/// `progress = (s − warmupSteps) / (totalSteps − warmupSteps)`, clamped to 1 after the end.
public struct CosineSchedule: Sendable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    /// The rate the decay ends at.
    public var floor: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, floor: Float = 0) {
        precondition(warmupSteps >= 0 && totalSteps >= 1, "CosineSchedule: need warmupSteps >= 0 and totalSteps >= 1")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.floor = floor
    }

    /// The learning rate for 0-based step `step`.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps {
            return peak * Float(step + 1) / Float(warmupSteps)
        }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Double(step - warmupSteps) / Double(span), 1)
        return floor + (peak - floor) * Float(0.5 * (1 + Math.cos(Double.pi * progress)))
    }
}
