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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(
            url: "https://github.com/apple/swift-configuration",
            from: "1.0.0",
            traits: [.defaults, "YAML", "Reloading", "CommandLineArguments"]
        ),
        // Already in the graph through swift-configuration; the configuration loader walks the
        // YAML tree itself to reject unknown keys.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Already in the graph through swift-configuration's Reloading trait; the daemon's
        // service group (graceful shutdown on SIGTERM/SIGINT, SIGHUP reload).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // The daemon's HTTP endpoints (concurrent connections, idle timeouts, a connection bound).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in the graph through Hummingbird; ByteBuffer and TimeAmount for its API.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The daemon's metrics: the swift-metrics API, exported by swift-prometheus on /metrics.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Child processes: the embedded broker, redis-server, `resid serve` children, tools.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // Already in the graph through swift-subprocess; FilePath and FileDescriptor for its API.
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
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
        // glibc's malloc.h (mallopt): the tensor allocator's freed-memory policy.
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        // MARK: Numeric core and models
        .target(name: "Tensor", dependencies: ["CBLAS", "CMalloc"]),
        .target(name: "Models", dependencies: ["Tensor", "Tokenizer"]),

        // MARK: Data and tokenization
        .target(
            name: "Data", dependencies: ["Tensor", "Supervision", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Tokenizer", dependencies: ["Tensor"]),

        // MARK: Inference: a bundle's file names, frozen items and cold-start tokenizer, shared by
        // the offline pipeline that writes bundles and the daemon that serves them, so the
        // daemon links no training code
        .target(name: "Inference", dependencies: ["Tensor", "Models", "Data", "Tokenizer"]),

        // MARK: Evaluation
        .target(name: "Evaluation", dependencies: ["Tensor", "Data"]),
        .target(
            name: "Training",
            dependencies: ["Tensor", "Models", "Data", "Tokenizer", "Evaluation", "Inference", "Bundle", "JSON"]),

        // MARK: JSON values and the topic schemas' validator (events and bundle manifests)
        .target(name: "JSON"),

        // MARK: Model bundle
        .target(
            name: "Bundle",
            dependencies: ["Tensor", "JSON", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // MARK: Child processes: launch, signals, readiness, graceful stop, awaited exit
        .target(
            name: "Supervision",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // MARK: Infrastructure wrappers (C types never leave these modules)
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: ReSID's state in Redis: the key layout and the Lua scripts for user prefixes
        // and level-3 claims, on top of the generic client; the Redis-backed level-3 claimer
        // implements the tokenizer's claim protocol
        .target(name: "ServingState", dependencies: ["Redis", "Tokenizer"]),

        // MARK: Local servers: a private redis-server and the embedded broker (`resid broker`)
        .target(
            name: "LocalServers",
            dependencies: [
                "Kafka", "Redis", "Supervision",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Test kit: the local servers with the integration tests' defaults
        .target(name: "ReSIDTestKit", dependencies: ["Kafka", "Redis", "LocalServers"]),

        // MARK: The streaming daemon
        .target(
            name: "Serve",
            dependencies: [
                "Tensor", "Models", "Data", "Tokenizer", "Inference", "Bundle", "JSON", "Kafka", "Redis",
                "ServingState",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: The work behind the demo, benchmark, data-stats, train-famae, compare and
        // evaluate-coldstart commands
        .target(
            name: "Harness",
            dependencies: [
                "Tensor", "Models", "Data", "Tokenizer", "Evaluation", "Training", "Inference", "Bundle", "Kafka",
                "Redis", "ServingState",
                "LocalServers",
                "Serve", "Supervision",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Executable
        .executableTarget(
            name: "resid",
            dependencies: [
                "Tensor", "Models", "Data", "Tokenizer", "Evaluation", "Training", "Inference", "Bundle", "Kafka",
                "Redis",
                "LocalServers", "Serve", "Harness", "Supervision",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests
        // Integration tests launch the `resid` binary (embedded broker, `resid serve` children),
        // which `swift build --build-tests` builds with every other product; no test target
        // links the executable: what tests exercise lives in the library modules.
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Data"]),
        .testTarget(name: "BundleTests", dependencies: ["Bundle", "JSON", "Tensor"]),
        .testTarget(
            name: "ModelsTests",
            dependencies: ["Models", "Tensor", "Training", "Inference", "Data", "Tokenizer", "Evaluation", "Bundle"]),
        .testTarget(name: "DataTests", dependencies: ["Data"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "Tensor"]),
        .testTarget(name: "SupervisionTests", dependencies: ["Supervision"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "LocalServers", "ReSIDTestKit"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "LocalServers", "ReSIDTestKit"]),
        .testTarget(
            name: "ServingStateTests",
            dependencies: ["ServingState", "Redis", "Tokenizer", "LocalServers", "ReSIDTestKit"]),
        .testTarget(
            name: "ServeTests",
            dependencies: [
                "Serve", "JSON", "Kafka", "Redis", "ServingState", "LocalServers", "ReSIDTestKit", "Supervision",
                "Harness",
                "Training", "Data",
                "Bundle", "Tokenizer",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

// Every Swift target of the package opts into the upcoming language rules: existentials
// spelled `any`, members visible only through the module that is imported, and imports
// internal unless declared `public import`. CI (`RESID_WARNINGS_AS_ERRORS=1`) also turns
// every warning of these targets into an error; dependencies keep their own settings.
let treatWarningsAsErrors = Context.environment["RESID_WARNINGS_AS_ERRORS"] == "1"
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    if treatWarningsAsErrors { settings.append(.treatAllWarnings(as: .error)) }
    target.swiftSettings = settings
}
