import Data
import Foundation
import Monitoring
import Storage

/// Where rank 0 reports a run: the console (log lines, a progress bar on a terminal, warnings),
/// `metrics.jsonl`, TensorBoard events and `report.html`, all in the run directory. Other ranks
/// hold none of it.
final class RunMonitor {
    let directory: URL
    let objective: Objective
    let print: (String) -> Void
    let metrics: MetricsLog
    let tensorBoard: TensorBoardWriter
    let progress: TrainingProgress
    var alarms = Alarms()
    let title: String
    let summary: [String]

    init(directory: URL, objective: Objective, keepingThrough step: Int, totalSteps: Int, title: String, summary: [String],
         print: @escaping (String) -> Void) throws(TrainingError) {
        self.directory = directory
        self.objective = objective
        self.print = print
        self.title = title
        self.summary = summary
        metrics = try io { () throws(StorageError) in try MetricsLog(directory.appendingPathComponent("metrics.jsonl"), keepingThrough: step) }
        tensorBoard = try io { () throws(StorageError) in try TensorBoardWriter(directory: directory.path) }
        progress = TrainingProgress(total: totalSteps)
    }

    /// A line above the progress bar.
    func say(_ line: String) {
        progress.clear()
        print(line)
    }

    func step(_ step: Int, epoch: Int, values: StepMetrics, imagesPerSecond: Double, totalSteps: Int) throws(TrainingError) {
        say(String(format: "[%d/%d] epoch %d  %@  %.1f img/s", step, totalSteps, epoch, objective.line(values), imagesPerSecond))
        let pairs = zip(values.names, values.values).map { ($0.0, Double($0.1)) }
        try io { () throws(StorageError) in
            try metrics.append(step: step, [("epoch", epoch)] + pairs.map { ($0.0, $0.1 as Any) } + [("images_per_second", imagesPerSecond)])
            try tensorBoard.scalars(pairs.map { ("train/\($0.0)", $0.1) } + [("train/images_per_second", imagesPerSecond)], step: step)
        }
        if let alarm = alarms.observe(Dictionary(uniqueKeysWithValues: pairs)) { try raise(alarm, step: step) }
    }

    func progress(step: Int, imagesPerSecond: Double, stepsPerSecond: Double) {
        progress.update(step: step, imagesPerSecond: imagesPerSecond, stepsPerSecond: stepsPerSecond)
    }

    func evaluation(_ step: Int, _ values: [(String, Double)], histogram: [Int]?) throws(TrainingError) {
        say("eval [\(step)] " + values.map { String(format: "%@ %.4f", $0.0, $0.1) }.joined(separator: "  "))
        try io { () throws(StorageError) in
            try metrics.append(step: step, values.map { ("eval_\($0.0)", $0.1 as Any) })
            try tensorBoard.scalars(values.map { ("eval/\($0.0)", $0.1) }, step: step)
        }
        if let histogram, let alarm = alarms.observe(histogram: histogram) { try raise(alarm, step: step) }
    }

    func raise(_ alarm: Alarms.Alarm, step: Int) throws(TrainingError) {
        say("warning: step \(step): \(alarm.message)")
        try io { () throws(StorageError) in try metrics.append(step: step, [("event", alarm.event), ("message", alarm.message)]) }
    }

    /// TensorBoard images and a fresh `report.html` (written atomically).
    func samples(_ step: Int, grids: [(tag: String, png: [UInt8], width: Int, height: Int, channels: Int)],
                 judged: [ReportPage.Picture]) throws(TrainingError) {
        try io { () throws(StorageError) in
            for g in grids {
                try tensorBoard.image(g.tag, png: g.png, width: g.width, height: g.height, channels: g.channels, step: step)
            }
        }
        let history = ReportPage.history((try? RegularFile.read(metrics.path)).map { String(decoding: $0, as: UTF8.self) } ?? "")
        let samples = directory.appendingPathComponent("samples").path
        let names = Directory.entries(samples).filter { $0.hasPrefix("step-") && $0.hasSuffix(".png") && !$0.contains("-c") && !$0.contains("-strip") }
        let recent = names.suffix(7).reversed().compactMap { name -> ReportPage.Picture? in
            (try? RegularFile.read("\(samples)/\(name)")).map { ReportPage.Picture(png: $0, caption: "step \(Int(name.dropFirst(5).dropLast(4)) ?? 0)") }
        }
        var panels = [ReportPage.Panel("Losses", objective.metrics.filter { $0.hasPrefix("loss") }),
                      ReportPage.Panel("D's outputs", objective.metrics.filter { $0.hasPrefix("d_") })]
        let accuracies = objective.metrics.filter { $0.hasPrefix("acc") }
        if !accuracies.isEmpty { panels.append(ReportPage.Panel("Accuracies", accuracies)) }
        let evaluated = Set(history.flatMap { $0.keys.filter { $0.hasPrefix("eval_") } })
        for key in ["eval_fd", "eval_swd", "eval_precision", "eval_recall"] where evaluated.contains(key) {
            panels.append(ReportPage.Panel("Evaluation: \(key.dropFirst(5))", [key]))
        }
        panels.append(ReportPage.Panel("Speed (images/s)", ["images_per_second"]))
        let page = ReportPage(title: title, summary: summary + ["updated at step \(step), \(Date())"], panels: panels,
                              history: history.filter { $0["event"] == nil }, grids: recent, judged: judged)
        try io { () throws(StorageError) in try AtomicFile.write(Array(page.html.utf8), to: directory.appendingPathComponent("report.html").path) }
    }
}
