@preconcurrency import CZlib
import Data
import Foundation
import Storage
import TestSupport
import XCTest

/// Images decode as Pillow decodes them (Scripts/make_fixtures.py wrote the files and Pillow's
/// `convert('RGB')`/`convert('L')` results), and damaged or unreadable inputs are errors.
final class DecodingTests: XCTestCase {
    var directory: URL!
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("decode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Prepares `folder` into a packed file at 32 pixels; returns the summary and the warnings.
    func prepare(_ folder: URL, channels: Int, crop: Int? = nil) throws -> (Preparation.Summary, [String]) {
        var warnings: [String] = []
        var preparation = try Preparation(source: folder.path, output: directory.appendingPathComponent("out.pack").path,
                                          size: 32, channels: channels, crop: crop, strict: false)
        preparation.warn = { warnings.append($0) }
        return (try preparation.run(), warnings)
    }

    /// Every PNG colour model and a CMYK JPEG, to RGB and to grey, against Pillow. PNGs must
    /// match exactly (no colour management, alpha dropped, 16 bits → high byte); the JPEG
    /// within one level (Pillow's and this libjpeg-turbo build may round the IDCT differently).
    func testEveryColourModelDecodesAsPillow() throws {
        let expected = try Fixture("decoding")
        for name in ["rgb16.png", "grey16.png", "rgba.png", "greyalpha.png", "palette.png", "bilevel.png", "cmyk.jpg"] {
            let path = Self.fixtures.appendingPathComponent("decoding/\(name)").path
            let key = String(name.split(separator: ".")[0])
            for (channels, suffix) in [(3, "rgb"), (1, "l")] {
                let decoded: (width: Int, height: Int, pixels: [UInt8])
                if name.hasSuffix(".png") {
                    decoded = try PNG.read(path: path, channels: channels)
                } else {
                    decoded = try JPEG.decode(try RegularFile.read(path), channels: channels, name: path)
                }
                let reference = try expected.floats("\(key).\(suffix)")
                XCTAssertEqual(decoded.pixels.count, reference.count, "\(name) \(suffix)")
                let worst = zip(decoded.pixels, reference).map { abs(Float($0) - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, name.hasSuffix(".jpg") ? 1 : 0, "\(name) → \(suffix): largest difference \(worst) levels")
            }
        }
    }

    /// gzip keeps a CRC-32 and the length of its data; a flipped byte anywhere is caught.
    func testACorruptedGzipByteIsAnErrorNotWrongPixels() throws {
        let raw = SyntheticIDX.header(magicDimensions: 3, dims: [4, 28, 28]) + (0..<(4 * 784)).map { UInt8($0 % 251) }
        let path = directory.appendingPathComponent("train-images-idx3-ubyte.gz").path
        let gz = gzopen(path, "wb")!
        _ = raw.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        XCTAssertEqual(try IDXFile(path: path).bytes.count, 4 * 784)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in [good.count - 6, good.count - 2, good.count / 2] {  // CRC, length, deflate data
            var bad = good
            bad[offset] ^= 0x10
            try bad.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try IDXFile(path: path), "byte \(offset) of \(good.count)") {
                XCTAssertTrue("\($0)".contains("corrupt gzip data"), "\($0)")
            }
        }
    }

    func testDimensionsWhoseProductOverflowsAreRefused() throws {
        let url = directory.appendingPathComponent("huge")
        try (SyntheticIDX.header(magicDimensions: 4, dims: [65535, 65535, 65535, 65535]) + [1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try IDXFile(path: url.path)) { XCTAssertTrue("\($0)".contains("implausible IDX dimensions"), "\($0)") }
    }

    func testAFIFONamedLikeAnImageIsSkippedNotWaitedFor() throws {
        let folder = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try PNG.write(path: folder.appendingPathComponent("a.png").path, width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 9, count: 64))
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("b.png").path, 0o644), 0)
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("c.jpg").path, 0o644), 0)
        let (summary, warnings) = try prepare(folder, channels: 1)
        XCTAssertEqual(summary.written, 1)
        XCTAssertEqual(summary.skipped, 2)
        XCTAssertTrue(warnings.allSatisfy { $0.contains("not a regular file (a FIFO)") }, "\(warnings)")
    }

    /// A name that is not UTF-8 is reported with its bytes escaped and skipped (fatal with
    /// --strict), never dropped silently or opened under a mangled name.
    func testNamesThatAreNotUTF8AreReportedByTheirBytes() throws {
        let folder = directory.appendingPathComponent("names")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try PNG.write(path: folder.appendingPathComponent("ok.png").path, width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 9, count: 64))
        let bad: [UInt8] = Array(folder.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".png".utf8) + [0]
        let fd = bad.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        let (summary, warnings) = try prepare(folder, channels: 1)
        XCTAssertEqual(summary.written, 1)
        XCTAssertEqual(summary.skipped, 1)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("caf\\xe9.png") && warnings[0].contains("not valid UTF-8"), "\(warnings)")
        let strict = try Preparation(source: folder.path, output: directory.appendingPathComponent("out2.pack").path,
                                     size: 32, channels: 1, crop: nil, strict: true)
        XCTAssertThrowsError(try strict.run()) { XCTAssertTrue("\($0)".contains("--strict"), "\($0)") }
    }

    func testACropWarningNamesTheFile() throws {
        let folder = directory.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try PNG.write(path: folder.appendingPathComponent("tiny.png").path, width: 40, height: 40, channels: 3, pixels: [UInt8](repeating: 9, count: 4800))
        try PNG.write(path: folder.appendingPathComponent("big.png").path, width: 80, height: 80, channels: 3, pixels: [UInt8](repeating: 9, count: 19200))
        let (summary, warnings) = try prepare(folder, channels: 3, crop: 64)
        XCTAssertEqual(summary.skipped, 1)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("tiny.png") && warnings[0].contains("--crop 64"), "\(warnings)")
    }
}
