import Foundation
import Storage

/// `metrics.jsonl`: one JSON object per line, appended and flushed as it happens. A logged step:
/// `step`, `epoch`, the objective's metrics by name (`loss_d`, `loss_g`, `d_x`, …) and
/// `images_per_second`; an evaluation: `step` and `eval_<metric>`; an alarm: `step`, `event`
/// and `message`. A fresh run starts the file anew; a resumed run keeps the lines up to its step.
public final class MetricsLog {
    let handle: FileHandle
    public let path: String

    public init(_ url: URL, keepingThrough step: Int) throws(StorageError) {
        path = url.path
        var kept = Data()
        if step > 0, let old = try? RegularFile.read(url.path) {
            for line in String(decoding: old, as: UTF8.self).split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let s = object["step"] as? Int, s <= step else { continue }
                kept.append(Data((line + "\n").utf8))
            }
        }
        try AtomicFile.write(kept, to: url.path)
        guard let handle = FileHandle(forWritingAtPath: url.path) else { throw StorageError.system(url.path, "cannot open for appending") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Appends `{"step":…, <fields>}`; numbers with six significant digits, strings quoted.
    public func append(step: Int, _ fields: [(String, Any)]) throws(StorageError) {
        var line = "{\"step\":\(step)"
        for (name, value) in fields {
            switch value {
            case let v as Int: line += ",\"\(name)\":\(v)"
            case let v as Double: line += String(format: ",\"%@\":%.6g", name, v.isFinite ? v : 0)
            case let v as Float: line += String(format: ",\"%@\":%.6g", name, v.isFinite ? Double(v) : 0)
            default:
                let text = String(decoding: try! JSONSerialization.data(withJSONObject: ["\(value)"]), as: UTF8.self).dropFirst().dropLast()
                line += ",\"\(name)\":\(text)"
            }
        }
        line += "}\n"
        do { try handle.write(contentsOf: Data(line.utf8)) } catch { throw StorageError.system(path, "write failed") }
    }
}
