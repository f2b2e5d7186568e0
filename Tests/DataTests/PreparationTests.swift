@preconcurrency import CTurboJPEG
import Data
import Foundation
import Neural
import TestSupport
import XCTest

/// `prepare` and the packed dataset file: decoding, geometry, skipping bad files, labels,
/// header validation, and reading back through the memory map.
final class PreparationTests: XCTestCase {
    var directory: URL!
    var warnings: [String] = []

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        warnings = []
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Pattern pixel `(x, y, c)`: distinct per position and channel.
    static func pattern(_ x: Int, _ y: Int, _ c: Int) -> UInt8 { UInt8((x * 7 + y * 13 + c * 85) % 256) }

    static func patternImage(width: Int, height: Int) -> [UInt8] {
        (0..<(width * height * 3)).map { i in pattern((i / 3) % width, (i / 3) / width, i % 3) }
    }

    /// Writes an RGB JPEG through TurboJPEG's compressor.
    func writeJPEG(_ name: String, width: Int, height: Int, pixels: [UInt8], quality: Int32 = 95) throws {
        let handle = try XCTUnwrap(tjInitCompress())
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let ok = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &buffer, &size,
                        Int32(TJSAMP_444.rawValue), quality, 0)
        }
        XCTAssertEqual(ok, 0)
        try Data(bytes: buffer!, count: Int(size)).write(to: URL(fileURLWithPath: path(name)))
        tjFree(buffer)
    }

    func prepare(_ source: String, size: Int = 32, channels: Int = 3, crop: Int? = nil, strict: Bool = false) throws -> Preparation.Summary {
        var p = try Preparation(source: source, output: path("out.pack"), size: size, channels: channels, crop: crop, strict: strict)
        p.warn = { self.warnings.append($0) }
        return try p.run()
    }

    func testPNGPixelsRoundTripExactly() throws {
        let folder = path("png")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let image = Self.patternImage(width: 32, height: 32)
        try PNG.write(path: "\(folder)/a.png", width: 32, height: 32, channels: 3, pixels: image)
        _ = try prepare(folder)
        let data = try PackedDataset.open(path("out.pack"))
        XCTAssertEqual([data.count, data.channels, data.height, data.width], [1, 3, 32, 32])
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 {
            XCTAssertEqual(data.pixels[(c * 32 + y) * 32 + x], Self.pattern(x, y, c), "NCHW pixel (\(c), \(y), \(x))")
        } } }
        XCTAssertNil(data.labels)
    }

    func testJPEGRoundTripIsCloseAndGreyConversionWorks() throws {
        let folder = path("jpg")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A smooth image: JPEG at quality 100 keeps it within a few levels.
        let smooth: [UInt8] = (0..<(32 * 32 * 3)).map { (i: Int) -> UInt8 in
            let x: Int = (i / 3) % 32, c: Int = i % 3
            return UInt8(x * 4 + c * 30)
        }
        try writeJPEG("jpg/a.JPG", width: 32, height: 32, pixels: smooth, quality: 100)
        _ = try prepare(folder)
        let rgb = try PackedDataset.open(path("out.pack"))
        var worst = 0
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 {
            let actual = Int(rgb.pixels[(c * 32 + y) * 32 + x])
            let expected = Int(smooth[(y * 32 + x) * 3 + c])
            worst = max(worst, abs(actual - expected))
        } } }
        XCTAssertLessThanOrEqual(worst, 4, "JPEG quality 100 round trip")
        _ = try prepare(folder, channels: 1)
        let grey = try PackedDataset.open(path("out.pack"))
        XCTAssertEqual(grey.channels, 1)
        // Luma of (x·4, x·4 + 30, x·4 + 60): 0.299 r + 0.587 g + 0.114 b.
        let expected = 0.299 * 40 + 0.587 * 70 + 0.114 * 100
        XCTAssertEqual(Double(grey.pixels[5 * 32 + 10]), expected, accuracy: 4)
    }

    /// Resize(64) + CenterCrop(64), and 108 centre crop + resize, against Pillow's results
    /// (Scripts/make_fixtures.py), as torchvision applies them to CelebA. Pillow resamples in
    /// fixed point, so results may differ by one level; the mean difference is far below that.
    func testGeometryMatchesPillow() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        let folder = path("celeba")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("celeba-like.jpg").path, toPath: "\(folder)/000001.jpg")
        for (crop, expectedName) in [(nil, "celeba-like-64.png"), (108, "celeba-like-crop108-64.png")] as [(Int?, String)] {
            _ = try prepare(folder, size: 64, crop: crop)
            let data = try PackedDataset.open(path("out.pack"))
            let expected = try PNG.read(path: fixtures.appendingPathComponent(expectedName).path, channels: 3)
            var worst = 0, total = 0
            for c in 0..<3 { for y in 0..<64 { for x in 0..<64 {
                let d = abs(Int(data.pixels[(c * 64 + y) * 64 + x]) - Int(expected.pixels[(y * 64 + x) * 3 + c]))
                worst = max(worst, d)
                total += d
            } } }
            XCTAssertLessThanOrEqual(worst, 1, "crop \(String(describing: crop))")
            XCTAssertLessThan(Double(total) / Double(3 * 64 * 64), 0.25, "crop \(String(describing: crop))")
        }
    }

    func testBadFilesAreSkippedAndCountedOrFatalWhenStrict() throws {
        let folder = path("mixed")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let image = Self.patternImage(width: 40, height: 30)
        for i in 0..<4 { try writeJPEG("mixed/good\(i).jpg", width: 40, height: 30, pixels: image) }
        try PNG.write(path: "\(folder)/good.png", width: 40, height: 30, channels: 3, pixels: image)
        try Data().write(to: URL(fileURLWithPath: "\(folder)/empty.jpg"))
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/good0.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: URL(fileURLWithPath: "\(folder)/truncated.jpg"))
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: "\(folder)/garbage.png"))
        let summary = try prepare(folder)
        XCTAssertEqual(summary.written, 5)
        XCTAssertEqual(summary.skipped, 3)
        XCTAssertEqual(warnings.count, 3)
        for name in ["empty.jpg", "truncated.jpg", "garbage.png"] {
            XCTAssertTrue(warnings.contains { $0.contains(name) }, "a warning names \(name): \(warnings)")
        }
        XCTAssertEqual(try PackedDataset.open(path("out.pack")).count, 5, "the written file is usable")
        XCTAssertThrowsError(try prepare(folder, strict: true)) { XCTAssertTrue("\($0)".contains("--strict"), "\($0)") }
    }

    func testSubfolderLabels() throws {
        for (k, name) in ["cats", "dogs", "birds"].enumerated() {
            try FileManager.default.createDirectory(atPath: path("labelled/\(name)"), withIntermediateDirectories: true)
            for i in 0...k { try PNG.write(path: path("labelled/\(name)/\(i).png"), width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: UInt8(k), count: 64)) }
        }
        let summary = try prepare(path("labelled"), channels: 1)
        XCTAssertEqual(summary.classes, 3)
        let data = try PackedDataset.open(path("out.pack"))
        // Sorted paths: birds/0-2 (class 0), cats/0 (1), dogs/0-1 (2).
        XCTAssertEqual(data.labels, [0, 0, 0, 1, 2, 2])
    }

    func testIDXSourceKeepsLabelsAndReplicatesGreyToRGB() throws {
        let pixels = try SyntheticIDX.write(directory: directory.appendingPathComponent("idx"), count: 20)
        let summary = try prepare(path("idx"), size: 32, channels: 3)
        XCTAssertEqual(summary.written, 20)
        let data = try PackedDataset.open(path("out.pack"))
        XCTAssertEqual(data.labels, (0..<20).map { Int32($0 % 10) })
        XCTAssertEqual(data.pixels[(3 * 3 + 2) * 32 * 32 + (10 + 2) * 32 + 12], pixels[3 * 784 + 10 * 28 + 10], "blue plane of image 3")
    }

    func testInvalidSourcesAndOptions() throws {
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try prepare(path("empty"))) { XCTAssertTrue("\($0)".contains("no .png, .jpg or .jpeg files")) }
        XCTAssertThrowsError(try prepare(path("missing"))) { XCTAssertTrue("\($0)".contains("no such file")) }
        XCTAssertThrowsError(try prepare(path("empty"), channels: 2)) { XCTAssertTrue("\($0)".contains("--channels")) }
        XCTAssertThrowsError(try prepare(path("empty"), size: 48)) { XCTAssertTrue("\($0)".contains("--size")) }
    }

    func testPackedHeaderValidation() throws {
        let folder = path("one")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try PNG.write(path: "\(folder)/a.png", width: 32, height: 32, channels: 3, pixels: Self.patternImage(width: 32, height: 32))
        _ = try prepare(folder)
        let good = try Data(contentsOf: URL(fileURLWithPath: path("out.pack")))
        func rejected(_ bytes: Data, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
            let p = path("bad-\(UUID().uuidString).pack")
            try! bytes.write(to: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try PackedDataset.open(p), file: file, line: line) {
                XCTAssertTrue("\($0)".contains(text), "\($0) should mention \(text)", file: file, line: line)
            }
        }
        var magic = good; magic[0] = UInt8(ascii: "X")
        rejected(magic, "wrong magic")
        var version = good; version[8] = 9
        rejected(version, "version 9")
        rejected(good.prefix(good.count - 1), "truncated")
        var payload = good; payload[100] ^= 1
        rejected(payload, "checksum")
        rejected(Data(), "empty")
        rejected(good.prefix(20), "too short")
    }

    func testBatchesFromAPackedFile() throws {
        let folder = path("batch")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<3 {
            try PNG.write(path: "\(folder)/\(i).png", width: 32, height: 32, channels: 1, pixels: [UInt8](repeating: UInt8(i * 100), count: 1024))
        }
        _ = try prepare(folder, channels: 1)
        let data = try PackedDataset.open(path("out.pack"))
        let batch = Tensor(Shape(2, 1, 32, 32))
        data.fill(batch, indices: [2, 0])
        XCTAssertEqual(batch.data[0], 200 / 127.5 - 1, accuracy: 1e-6)
        XCTAssertEqual(batch.data[1024], -1, accuracy: 1e-6)
    }
}
