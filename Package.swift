// swift-tools-version: 6.2
import PackageDescription

/// ReSID Stream: one package, one `resid` binary, modules split at the boundaries described in
/// the architecture notes: one system-library target per C library, one Swift module owning
/// each library's calls, a pure numeric core, the domain modules and a thin CLI.
let package = Package(
    name: "ReSIDStream",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "resid", targets: ["resid"]),
        .library(name: "Tensor", targets: ["Tensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // MARK: C libraries (Debian packages, found through pkg-config)
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        // MARK: Numeric core
        .target(name: "Tensor", dependencies: ["CBLAS"]),

        // MARK: Executable
        .executableTarget(
            name: "resid",
            dependencies: [
                "Tensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
    ],
    swiftLanguageModes: [.v6]
)
