import Foundation

/// `report.html`: one self-contained page about a run, readable from a file copied off the
/// cluster with no server: metric curves over steps as inline SVG (from `metrics.jsonl`), the
/// evaluation numbers over steps, the latest sample grid and a strip of earlier ones, and eight
/// samples beside eight real images each labelled with D's probability (images as data URLs).
public struct ReportPage {
    /// One curve panel: a title and the metrics drawn in it.
    public struct Panel: Sendable {
        public let title: String
        public let metrics: [String]
        public init(_ title: String, _ metrics: [String]) {
            self.title = title
            self.metrics = metrics
        }
    }

    /// An image with a caption.
    public struct Picture: Sendable {
        public let png: [UInt8]
        public let caption: String
        public init(png: [UInt8], caption: String) {
            self.png = png
            self.caption = caption
        }
    }

    public var title: String
    public var summary: [String]
    public var panels: [Panel]
    /// Lines of `metrics.jsonl`.
    public var history: [[String: Double]]
    /// The newest grid first.
    public var grids: [Picture]
    public var judged: [Picture]

    public init(title: String, summary: [String], panels: [Panel], history: [[String: Double]], grids: [Picture], judged: [Picture]) {
        self.title = title
        self.summary = summary
        self.panels = panels
        self.history = history
        self.grids = grids
        self.judged = judged
    }

    /// Parses `metrics.jsonl` into numeric maps (strings and nested objects are skipped).
    public static func history(_ jsonl: String) -> [[String: Double]] {
        jsonl.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
    }

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// An SVG line chart of `metrics` against `step`.
    func chart(_ panel: Panel) -> String? {
        let series = panel.metrics.map { m in history.compactMap { row -> (Double, Double)? in
            guard let s = row["step"], let v = row[m], v.isFinite else { return nil }
            return (s, v)
        } }
        let points = series.flatMap { $0 }
        guard points.count >= 1 else { return nil }
        let w = 460.0, h = 200.0, left = 48.0, bottom = 24.0, top = 8.0, right = 8.0
        let x0 = points.map(\.0).min()!, x1 = max(points.map(\.0).max()!, x0 + 1)
        var y0 = points.map(\.1).min()!, y1 = points.map(\.1).max()!
        if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (w - left - right) }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * (h - top - bottom) }
        var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))'>"
        svg += "<rect x='\(left)' y='\(top)' width='\(w - left - right)' height='\(h - top - bottom)' fill='#fafafa' stroke='#ccc'/>"
        for (i, y) in [y0, (y0 + y1) / 2, y1].enumerated() {
            svg += "<text x='\(left - 4)' y='\(py(y) + 4)' font-size='10' text-anchor='end'>\(String(format: "%.3g", y))</text>"
            if i == 1 { svg += "<line x1='\(left)' x2='\(w - right)' y1='\(py(y))' y2='\(py(y))' stroke='#eee'/>" }
        }
        svg += "<text x='\(left)' y='\(h - 6)' font-size='10'>step \(Int(x0))</text>"
        svg += "<text x='\(w - right)' y='\(h - 6)' font-size='10' text-anchor='end'>\(Int(x1))</text>"
        for (k, s) in series.enumerated() where !s.isEmpty {
            let colour = Self.colours[k % Self.colours.count]
            let path = s.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            svg += s.count == 1 ? "<circle cx='\(px(s[0].0))' cy='\(py(s[0].1))' r='3' fill='\(colour)'/>"
                                : "<polyline fill='none' stroke='\(colour)' stroke-width='1.5' points='\(path)'/>"
        }
        svg += "</svg>"
        let legend = panel.metrics.enumerated().map { k, m in
            "<span style='color:\(Self.colours[k % Self.colours.count])'>&#9632; \(Self.escape(m))</span>"
        }.joined(separator: " ")
        return "<div class='panel'><h3>\(Self.escape(panel.title))</h3>\(svg)<div class='legend'>\(legend)</div></div>"
    }

    func image(_ p: Picture, width: Int? = nil) -> String {
        let style = width.map { " style='width:\($0)px'" } ?? ""
        return "<figure><img\(style) src='data:image/png;base64,\(Data(p.png).base64EncodedString())'><figcaption>\(Self.escape(p.caption))</figcaption></figure>"
    }

    public var html: String {
        var body = "<h1>\(Self.escape(title))</h1><ul>" + summary.map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul>"
        body += "<h2>Training curves</h2><div class='row'>" + panels.compactMap(chart).joined() + "</div>"
        if let latest = grids.first {
            body += "<h2>Latest samples</h2><div class='row'>" + image(latest) + "</div>"
        }
        if !judged.isEmpty {
            body += "<h2>D's probability that each image is real</h2><div class='row judged'>" + judged.map { image($0, width: 96) }.joined() + "</div>"
        }
        if grids.count > 1 {
            body += "<h2>Samples over time</h2><div class='row'>" + grids.dropFirst().map { image($0, width: 200) }.joined() + "</div>"
        }
        let style = "body{font-family:sans-serif;margin:16px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:24px}"
            + "h3{font-size:13px;margin:4px 0}.row{display:flex;flex-wrap:wrap;gap:12px}.panel{border:1px solid #ddd;padding:6px}"
            + ".legend{font-size:11px}figure{margin:0;text-align:center}figcaption{font-size:11px}img{image-rendering:pixelated}"
            + ".judged figure{width:96px}"
        return "<!DOCTYPE html><html><head><meta charset='utf-8'><title>\(Self.escape(title))</title><style>\(style)</style></head><body>\(body)</body></html>\n"
    }
}
