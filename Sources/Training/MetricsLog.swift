import Foundation
import Storage

/// `metrics.jsonl`: one JSON object per logged step, appended and flushed as it happens.
/// A fresh run starts the file anew; a resumed run keeps the lines up to its step.
final class MetricsLog {
    let handle: FileHandle
    let path: String

    init(_ url: URL, keepingThrough step: Int) throws(TrainingError) {
        path = url.path
        var kept = Data()
        if step > 0, let old = try? RegularFile.read(url.path) {
            for line in String(decoding: old, as: UTF8.self).split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let s = object["step"] as? Int, s <= step else { continue }
                kept.append(Data((line + "\n").utf8))
            }
        }
        try io { () throws(StorageError) in try AtomicFile.write(kept, to: url.path) }
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw TrainingError("\(url.path): cannot open for appending (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    func append(step: Int, epoch: Int, metrics: StepMetrics, imagesPerSecond: Double) throws(TrainingError) {
        let line = String(format: "{\"step\":%d,\"epoch\":%d,\"loss_d\":%.6g,\"loss_g\":%.6g,\"d_x\":%.6g,\"d_g_z1\":%.6g,\"d_g_z2\":%.6g,\"images_per_second\":%.2f}\n",
                          step, epoch, metrics.lossD, metrics.lossG, metrics.realProbability,
                          metrics.fakeProbabilityBefore, metrics.fakeProbabilityAfter, imagesPerSecond)
        do { try handle.write(contentsOf: Data(line.utf8)) } catch {
            throw TrainingError("\(path): write failed (\(String(cString: strerror(errno))))")
        }
    }
}
