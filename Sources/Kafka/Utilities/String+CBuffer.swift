extension String {
    /// Decodes a NUL-terminated C error buffer (as filled by librdkafka's `errstr` arguments).
    init(errorBuffer: [CChar]) {
        self.init(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
