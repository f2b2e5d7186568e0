import ArgumentParser
import Foundation
import Storage
import Training

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a checkpoint and print its metadata and tensor table.")

    @Argument(help: "Checkpoint file (.safetensors).")
    var checkpoint: String

    func run() throws {
        let c = try Checkpoint(contentsOf: URL(fileURLWithPath: checkpoint))
        print("checkpoint \(checkpoint): valid (format \(CheckpointFile.format) version \(c.contents.version), checksum verified)")
        for key in c.file.metadata.keys.sorted() where key != "config" {
            print("  \(key): \(c.file.metadata[key]!)")
        }
        let m = c.config.model
        print("  model: \(m.architecture.rawValue) (\(m.resolvedBackbone.rawValue) backbone) \(m.imageSize)x\(m.imageSize)x\(m.channels), nz \(m.nz), ngf \(m.ngf), ndf \(m.ndf); global batch \(c.config.batchSize)")
        func column(_ s: String, _ width: Int) -> String { s.padding(toLength: max(width, s.count), withPad: " ", startingAt: 0) }
        print(column("tensor", 40) + " " + column("dtype", 5) + " " + column("shape", 20) + " elements")
        var total = 0
        for name in c.file.names {
            let e = c.file[name]!
            total += e.data.count
            let shape = "[" + e.shape.map(String.init).joined(separator: ", ") + "]"
            print(column(name, 40) + " " + column(e.dtype.rawValue, 5) + " " + column(shape, 20) + " \(e.count)")
        }
        print("\(c.file.names.count) tensors, \(total) bytes")
    }
}
