import Foundation

/// `metrics.jsonl`: one JSON object per logged step, appended and flushed as it happens.
/// A fresh run starts the file anew; a resumed run keeps the lines up to its step.
final class MetricsLog {
    let handle: FileHandle

    init(_ url: URL, keepingThrough step: Int) throws(TrainingError) {
        var kept = Data()
        if step > 0, let old = try? String(contentsOf: url, encoding: .utf8) {
            for line in old.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let s = object["step"] as? Int, s <= step else { continue }
                kept.append(Data((line + "\n").utf8))
            }
        }
        try AtomicFile.write(kept, to: url)
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw TrainingError("\(url.path): cannot open for appending (\(error.localizedDescription))")
        }
    }

    deinit { try? handle.close() }

    func append(step: Int, epoch: Int, metrics: StepMetrics, imagesPerSecond: Double) throws(TrainingError) {
        let line = String(format: "{\"step\":%d,\"epoch\":%d,\"loss_d\":%.6g,\"loss_g\":%.6g,\"d_x\":%.6g,\"d_g_z1\":%.6g,\"d_g_z2\":%.6g,\"images_per_second\":%.2f}\n",
                          step, epoch, metrics.lossD, metrics.lossG, metrics.realProbability,
                          metrics.fakeProbabilityBefore, metrics.fakeProbabilityAfter, imagesPerSecond)
        do { try handle.write(contentsOf: Data(line.utf8)) } catch {
            throw TrainingError("metrics.jsonl: write failed (\(error.localizedDescription))")
        }
    }
}
