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
    @inline(__always) @usableFromInline static func pow(_ x: Double, _ y: Double) -> Double { powDouble(x, y) }
}

@inline(__always) @usableFromInline func cosDouble(_ x: Double) -> Double {
    #if canImport(Glibc)
    Glibc.cos(x)
    #else
    Darwin.cos(x)
    #endif
}

@inline(__always) @usableFromInline func powDouble(_ x: Double, _ y: Double) -> Double {
    #if canImport(Glibc)
    Glibc.pow(x, y)
    #else
    Darwin.pow(x, y)
    #endif
}
