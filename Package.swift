// swift-tools-version:6.0
import PackageDescription

/// The numeric hot loops run without bounds or overflow checks in release builds.
/// Everything that validates user input lives in other targets and keeps its checks.
let hotLoops: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "SwiftGAN",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swiftgan", targets: ["swiftgan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: C libraries (module maps and shim headers only)
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Numerics: tensors, layers with forward and backward, losses, Adam, RNG
        .target(name: "Neural", dependencies: ["CBLAS"], swiftSettings: hotLoops),

        // MARK: Networks built from layers
        .target(name: "Models", dependencies: ["Neural"], swiftSettings: hotLoops),

        // MARK: Collectives: the Communicator protocol, MPI and single-process implementations
        .target(name: "Distributed", dependencies: ["CMPI"]),

        // MARK: Datasets: IDX, image folders, packed files, the global-batch sampler
        .target(name: "Data", dependencies: ["CPNG", "CTurboJPEG", "CZlib", "Neural"], swiftSettings: hotLoops),

        // MARK: The safetensors file format (checkpoints, test fixtures)
        .target(name: "SafeTensors"),

        // MARK: The training loop and everything it writes
        .target(name: "Training", dependencies: ["Neural", "Models", "Distributed", "Data", "SafeTensors", "CPNG", "CBLAS"]),

        // MARK: The command line
        .executableTarget(name: "swiftgan", dependencies: [
            "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        // Tests/Fixtures holds PyTorch's golden values (Scripts/make_fixtures.py); TestSupport reads them.
        .target(name: "TestSupport", dependencies: ["Neural", "SafeTensors"], path: "Tests/TestSupport"),
        .testTarget(name: "NeuralTests", dependencies: ["Neural", "Models", "SafeTensors", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Neural", "CZlib", "CTurboJPEG", "TestSupport"]),
        // Interposes malloc in the test executable to prove the step allocates nothing.
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Distributed", "Models", "Neural", "SafeTensors", "TestSupport", "AllocationCounter"]),
        .testTarget(name: "FormatTests", dependencies: ["SafeTensors", "Neural"]),
        // Runs the built `swiftgan` binary as a user would.
        .testTarget(name: "CommandLineTests", dependencies: ["TestSupport", "SafeTensors", "Data"]),
    ]
)
