// swift-tools-version:6.0
import PackageDescription

/// intake: a watch-folder ingestion daemon. Every C library sits behind one system-library
/// target; all logic lives in `IntakeCore`; `intake` is a thin executable over it.
let package = Package(
    name: "intake",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "intake", targets: ["intake"]),
        .library(name: "IntakeCore", targets: ["IntakeCore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CExif", pkgConfig: "libexif", providers: [.apt(["libexif-dev"])]),
        .systemLibrary(
            name: "CMagic", pkgConfig: "libmagic", providers: [.apt(["libmagic-dev"])]),
        .systemLibrary(
            name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSystem"),
        .target(
            name: "IntakeCore",
            dependencies: ["CSQLite", "CExif", "CMagic", "CVips", "CCurl", "CCrypto", "CSystem"]
        ),
        .executableTarget(name: "intake", dependencies: ["IntakeCore"]),
        .executableTarget(
            name: "NearDuplicateBench", dependencies: ["IntakeCore"],
            path: "bench/inspect/NearDuplicateBench"),
        .executableTarget(
            name: "queue-driver", dependencies: ["IntakeCore"], path: "bench/queue/driver"),
        .executableTarget(
            name: "intake-inbox-bench", dependencies: ["IntakeCore"], path: "bench/inbox/harness"),
        .executableTarget(
            name: "intake-bench-download", dependencies: ["IntakeCore"],
            path: "bench/download/harness"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "IntakeCoreTests", dependencies: ["IntakeCore", "TestSupport"],
            exclude: ["Servers/fault_server.py"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["intake", "queue-driver", "IntakeCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
