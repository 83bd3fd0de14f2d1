#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The C library's single-precision transcendental functions, in one place so that kernels do
/// not import the platform module themselves.
@usableFromInline
enum Math {
    @inline(__always) @usableFromInline static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) @usableFromInline static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) @usableFromInline static func erf(_ x: Float) -> Float { erff(x) }
    @inline(__always) @usableFromInline static func cos(_ x: Double) -> Double { cosDouble(x) }
}

@inline(__always) @usableFromInline func cosDouble(_ x: Double) -> Double {
    #if canImport(Glibc)
    Glibc.cos(x)
    #else
    Darwin.cos(x)
    #endif
}
