// swift-tools-version:6.0
import PackageDescription

/// The numeric hot loops (the engine and the networks) run without bounds or overflow checks in
/// release builds. Everything that parses or validates user input (Data, Storage, Training, the
/// command line) lives in other targets and keeps its checks in the shipped binary.
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
        // libpng's classic reading API needs setjmp, so its reader is a small C file.
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        // One core's FMA limit (AVX-512 or AVX2, chosen at run time), for `bench`.
        .target(name: "CPeak"),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLinear", providers: [.apt(["liblinear-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // MARK: Numerics: tensors, layers with forward and backward, losses, Adam, RNG
        .target(name: "Neural", dependencies: ["CBLAS", "CDNNL", "Storage"], swiftSettings: hotLoops),

        // MARK: Networks built from layers
        .target(name: "Models", dependencies: ["Neural"], swiftSettings: hotLoops),

        // MARK: Collectives: the Communicator protocol, MPI and single-process implementations
        .target(name: "Distributed", dependencies: ["CMPI", "Neural"]),

        // MARK: Files: safe reading, atomic writes, locks, checksums, safetensors, .npy
        .target(name: "Storage"),

        // MARK: Datasets: IDX, image folders, packed files, the global-batch sampler
        .target(name: "Data", dependencies: ["CPNG", "CTurboJPEG", "CZlib", "Neural", "Storage"]),

        // MARK: A trained generator without MPI: loading, generation, grids
        .target(name: "Inference", dependencies: ["Neural", "Models", "Data", "Storage"]),

        // MARK: Quality numbers: a classifier, Fréchet distance, SWD, precision/recall, coverage
        .target(name: "Evaluation", dependencies: ["Neural", "Models", "Data", "Storage", "Distributed", "Inference", "CBLAS", "CLinear"]),

        // MARK: What a run reports: metrics.jsonl, TensorBoard events, report.html, progress, alarms
        .target(name: "Monitoring", dependencies: ["Storage"]),

        // MARK: Objectives, the training step, the run loop and everything it writes
        .target(name: "Training", dependencies: ["Neural", "Models", "Distributed", "Data", "Storage", "Inference", "Evaluation", "Monitoring", "CBLAS", "CPeak"]),

        // MARK: The command line
        .executableTarget(name: "swiftgan", dependencies: [
            "Training", "Inference", "Evaluation", "CPeak",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        // Tests/Fixtures holds PyTorch's golden values (Scripts/make_fixtures.py); TestSupport reads them.
        .target(name: "TestSupport", dependencies: ["Neural", "Storage", "Distributed"], path: "Tests/TestSupport"),
        .testTarget(name: "NeuralTests", dependencies: ["Neural", "Models", "Storage", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Neural", "CZlib", "CTurboJPEG", "TestSupport"]),
        // Interposes malloc in the test executable to prove the step allocates nothing.
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Distributed", "Models", "Neural", "Storage", "TestSupport", "AllocationCounter"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Neural"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Neural", "Models", "Distributed", "Inference", "Data", "TestSupport"]),
        // Runs the built `swiftgan` binary as a user would.
        .testTarget(name: "CommandLineTests", dependencies: ["TestSupport", "Storage", "Data"]),
    ]
)
