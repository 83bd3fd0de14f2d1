extension CausalSIDGenerator: StoredGenerator {
    /// The safetensors `format` metadata value of causal generator weights.
    public static let fileFormat = "resid-causal-generator/1"
}
