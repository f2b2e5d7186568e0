import Foundation
import Storage

/// `metrics.jsonl`: one JSON object per logged step, appended and flushed as it happens:
/// `step`, `epoch`, the objective's metrics by name (`loss_d`, `loss_g`, `d_x`, …), and
/// `images_per_second`. A fresh run starts the file anew; a resumed run keeps the lines up to
/// its step.
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
        var line = "{\"step\":\(step),\"epoch\":\(epoch)"
        for (name, value) in zip(metrics.names, metrics.values) { line += String(format: ",\"%@\":%.6g", name, value) }
        line += String(format: ",\"images_per_second\":%.2f}\n", imagesPerSecond)
        do { try handle.write(contentsOf: Data(line.utf8)) } catch {
            throw TrainingError("\(path): write failed (\(String(cString: strerror(errno))))")
        }
    }
}
