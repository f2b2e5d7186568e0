import ArgumentParser
import Data
import Foundation
import Storage

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a folder of PNG/JPEG images (or MNIST-format IDX files) once, on all cores, into a packed dataset file for train --data.")

    @Argument(help: "A folder tree of .png/.jpg/.jpeg files (first-level subfolders become class labels), a folder of IDX files, or an *-idx3-ubyte[.gz] file.")
    var source: String

    @Option(help: "The packed dataset file to write.")
    var out: String

    @Option(parsing: .unconditional, help: "Image side in pixels: 32, 64 or 128 (Resize to this shorter side, then CenterCrop, as torchvision).")
    var size = 64

    @Option(parsing: .unconditional, help: "1 (grey) or 3 (RGB).")
    var channels = 3

    @Option(parsing: .unconditional, help: "Take an N×N centre crop first, then resize (CelebA papers use 108 or 160).")
    var crop: Int?

    @Flag(help: "Stop at the first unreadable image instead of skipping it with a warning.")
    var strict = false

    func run() throws {
        // Ctrl-C or SIGTERM: the partial output is removed before exiting.
        SignalCleanup.exitOnSignal()
        let preparation = try Preparation(source: source, output: out, size: size, channels: channels, crop: crop, strict: strict)
        let summary = try preparation.run()
        let rate = Double(summary.written + summary.skipped) / max(summary.seconds, 1e-9)
        print(String(format: "prepared %d images of %dx%dx%d into %@ in %.1f s (%.0f files/s)%@; skipped %d unreadable file%@",
                     summary.written, channels, size, size, out, summary.seconds, rate,
                     summary.classes > 0 ? ", \(summary.classes) classes" : "", summary.skipped, summary.skipped == 1 ? "" : "s"))
    }
}
