import Foundation

/// What runs the convolutions.
///
/// - `onednn`: oneDNN's primitives in its blocked layout, with BatchNorm and activations in that
///   layout too; layers where OpenBLAS is faster (3 or fewer channels on either side: the RGB
///   layers, a single logit) stay on OpenBLAS and read or write the blocked layout directly.
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

    /// Channels at or below which a convolution runs on OpenBLAS under `onednn`: oneDNN's blocked
    /// kernels pad 3 channels to a whole block, and measured 2.5x slower than the GEMM there
    /// (D's first layer input gradient 20.3 ms against 7.8; G's last forward 21.1 against 8.4).
    /// A small output with few pixels (a logit per image) stays on oneDNN: its work is tiny either
    /// way, and OpenBLAS would first have to gather its blocked input (measured 39 ms against 4
    /// per step for D's last layer).
    public static let gemmChannels = 4

    /// Whether a convolution from `input` to `output` channels, with `positions` output pixels
    /// per image, runs on oneDNN.
    public func usesDNNL(input: Int, output: Int, positions: Int) -> Bool {
        self == .onednn && input > Self.gemmChannels && (output > Self.gemmChannels || positions <= 16)
    }

    /// The layout a convolution writes: blocked under `onednn` (the next layers work in it) unless
    /// it is one of the small outputs on OpenBLAS (images) that leave the network.
    public func outputLayout(input: Int, output: Int, positions: Int) -> Layout {
        usesDNNL(input: input, output: output, positions: positions) || (self == .onednn && output > Self.gemmChannels) ? .blocked(DNNL.block) : .plain
    }
}
