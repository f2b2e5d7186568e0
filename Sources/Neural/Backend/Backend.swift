import Foundation

/// What runs the convolutions.
///
/// - `onednn`: oneDNN's primitives in its blocked layout, with BatchNorm and activations in that
///   layout too; an operation that writes a thin tensor (4 or fewer channels: images, D's input
///   gradient) is a GEMM instead, and so is a transposed convolution from one pixel (`route`).
/// - `blas`: im2col + OpenBLAS everywhere, plain NCHW: the reference the tests hold the oneDNN
///   path to, and the fallback where oneDNN is not available.
public enum Backend: String, Sendable, CaseIterable {
    case onednn
    case blas

    /// The backend networks are built with: `SWIFTGAN_BACKEND` (onednn or blas) if set, else oneDNN;
    /// `--backend` sets it for a command.
    nonisolated(unsafe) public static var current: Backend = {
        if let name = ProcessInfo.processInfo.environment["SWIFTGAN_BACKEND"], let b = Backend(rawValue: name) { return b }
        return .onednn
    }()

    /// Channels at or below which a side of a convolution is thin. oneDNN's blocked kernels pad
    /// a thin side to a whole block, and its kernels that *write* a thin plain tensor are its
    /// reference code; those that *read* one are fast. Measured at 64×64×3, batch 64, one thread
    /// (Emerald Rapids): D's first layer forward 2.5 ms reading plain RGB against 16 ms as
    /// im2col + GEMM, its weight gradient 3.2 ms; G's image layer input and weight gradients
    /// 2.6 ms each against 27 ms together as GEMMs. Blocked on both sides (padding the thin one)
    /// the writing operations take 19–21 ms against 8 as GEMMs.
    public static let gemmChannels = 4

    /// Where a convolution (`transposed` or not) from `input` to `output` channels, with
    /// `positions` output pixels per image, runs; `fromOnePixel`: a transposed one from a single
    /// input pixel without padding (a generator's first layer).
    ///
    /// The thin routes are for what GANs have: a convolution reading images (D's first layer) and
    /// a transposed one writing them (G's last); a thin side otherwise runs on OpenBLAS. A small
    /// thin output with few pixels (a logit per image) stays wholly on oneDNN, blocked: its work
    /// is tiny either way, and OpenBLAS would first have to gather its blocked input (measured
    /// 39 ms against 4 per step for D's last layer).
    ///
    /// From one pixel a transposed convolution is a single GEMM on OpenBLAS with no columns
    /// (`ConvTranspose2d`), where oneDNN's kernels reach 11–45 GFLOP/s: G's first layer at
    /// 64×64×3 took 19.3 ms per step on oneDNN and takes 3.5 so, the 32×32×1 one 8.0 and 1.7
    /// (one thread, Emerald Rapids).
    public func route(transposed: Bool, input: Int, output: Int, positions: Int, fromOnePixel: Bool = false) -> ConvolutionRoute {
        let thinInput = input <= Self.gemmChannels, thinOutput = output <= Self.gemmChannels
        if self == .onednn && transposed && fromOnePixel { return .openBLAS }
        switch (self, thinInput, thinOutput) {
        case (.blas, _, _), (.onednn, true, true): return .openBLAS
        case (.onednn, true, false): return transposed ? .openBLAS : .thinInput
        case (.onednn, false, true): return positions <= 16 ? .oneDNN : transposed ? .thinOutput : .openBLAS
        case (.onednn, false, false): return .oneDNN
        }
    }
}

/// Which library runs each of a convolution's three operations (forward, input gradient,
/// weight gradient), and so the layouts it reads and writes.
public enum ConvolutionRoute: Equatable, Sendable {
    /// All on OpenBLAS (im2col + GEMM): the `blas` backend, and layers thin on both sides.
    case openBLAS
    /// All on oneDNN, in the blocked layout.
    case oneDNN
    /// A thin input (images into D): oneDNN's forward and weight gradient read it plain; the
    /// input gradient, which would write it, is a GEMM + col2im.
    case thinInput
    /// A thin output (G's images): the forward, which would write it, is a GEMM + col2im into
    /// the plain layout; oneDNN's input and weight gradients read it plain.
    case thinOutput

    public var usesDNNL: Bool { self != .openBLAS }

    /// The layout the convolution writes under `backend`: blocked when the next layers work in
    /// it (oneDNN, or a wide output of OpenBLAS under `onednn`), plain for a thin output.
    public func outputLayout(_ backend: Backend, output: Int) -> Layout {
        switch self {
        case .oneDNN, .thinInput: .blocked(DNNL.block)
        case .thinOutput: .plain
        case .openBLAS: backend == .onednn && output > Backend.gemmChannels ? .blocked(DNNL.block) : .plain
        }
    }
}
