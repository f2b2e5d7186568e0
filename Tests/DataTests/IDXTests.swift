@preconcurrency import CZlib
import Data
import Neural
import Foundation
import TestSupport
import XCTest

final class IDXTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testRawFileRoundTrip() throws {
        let pixels = try SyntheticIDX.write(directory: directory, count: 12, size: 28)
        let idx = try IDXFile(path: directory.appendingPathComponent("train-images-idx3-ubyte").path)
        XCTAssertEqual(idx.dimensions, [12, 28, 28])
        XCTAssertEqual(idx.bytes, pixels)
    }

    func testGzippedFileRoundTrip() throws {
        let bytes = SyntheticIDX.header(magicDimensions: 1, dims: [5]) + [9, 8, 7, 6, 5]
        let path = directory.appendingPathComponent("labels.gz").path
        let gz = gzopen(path, "wb")!
        _ = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
        let idx = try IDXFile(path: path)
        XCTAssertEqual(idx.dimensions, [5])
        XCTAssertEqual(idx.bytes, [9, 8, 7, 6, 5])
    }

    func testBadFilesAreRejectedWithTheirReason() throws {
        func error(_ bytes: [UInt8]) -> String {
            let url = directory.appendingPathComponent("bad-\(UUID().uuidString)")
            try! bytes.write(to: url)
            do {
                _ = try IDXFile(path: url.path)
                return "no error"
            } catch { return error.description }
        }
        XCTAssertTrue(error([]).contains("too short"))
        // A gzip header whose stream is cut short is reported by zlib.
        XCTAssertTrue(error([0x1F, 0x8B, 0, 0]).contains("corrupt gzip data"), error([0x1F, 0x8B, 0, 0]))
        XCTAssertTrue(error([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]).contains("magic"), "float IDX")
        XCTAssertTrue(error([0, 0, 8, 3, 0, 0, 0, 2]).contains("truncated IDX header"))
        XCTAssertTrue(error(SyntheticIDX.header(magicDimensions: 3, dims: [2, 28, 28]) + [UInt8](repeating: 1, count: 100)).contains("truncated IDX data"))
        XCTAssertTrue(error(SyntheticIDX.header(magicDimensions: 1, dims: [2]) + [1, 2, 3]).contains("continues past"))
        XCTAssertThrowsError(try IDXFile(path: directory.appendingPathComponent("missing").path)) {
            XCTAssertTrue("\($0)".contains("cannot open"))
        }
    }

    func testFashionMNISTLoaderPadsTo32AndKeepsLabels() throws {
        let pixels = try SyntheticIDX.write(directory: directory, count: 10, size: 28)
        let data = try FashionMNIST.load(directory: directory.path, size: 32)
        XCTAssertEqual([data.count, data.channels, data.height, data.width], [10, 1, 32, 32])
        XCTAssertEqual(data.labels, (0..<10).map { Int32($0) })
        // Pixel (y, x) of the 28×28 image lands at (y + 2, x + 2); the 2-pixel border is black.
        for i in 0..<10 { for y in 0..<28 { for x in 0..<28 {
            XCTAssertEqual(data.pixels[(i * 32 + y + 2) * 32 + x + 2], pixels[(i * 28 + y) * 28 + x])
        } } }
        XCTAssertTrue((0..<32).allSatisfy { data.pixels[$0] == 0 && data.pixels[31 * 32 + $0] == 0 })
    }

    func testResizeTo64DoublesThePaddedImage() throws {
        try SyntheticIDX.write(directory: directory, count: 3, size: 28)
        let small = try FashionMNIST.load(directory: directory.path, size: 32)
        let big = try FashionMNIST.load(directory: directory.path, size: 64)
        XCTAssertEqual([big.height, big.width], [64, 64])
        // Inside flat regions bilinear doubling reproduces the source value exactly.
        for i in 0..<3 { for y in 1..<31 { for x in 1..<31 {
            let v = small.pixels[(i * 32 + y) * 32 + x]
            let flat = [-1, 0, 1].allSatisfy { dy in [-1, 0, 1].allSatisfy { dx in small.pixels[(i * 32 + y + dy) * 32 + x + dx] == v } }
            if flat { XCTAssertEqual(big.pixels[(i * 64 + 2 * y) * 64 + 2 * x], v) }
        } } }
        XCTAssertThrowsError(try FashionMNIST.load(directory: directory.path, size: 48))
    }

    func testBatchScalingMapsBytesToMinusOneToOne() throws {
        let data = ImageDataset(count: 2, channels: 1, height: 1, width: 2, pixels: [0, 255, 127, 128], labels: nil)
        let batch = Tensor(Shape(2, 1, 1, 2))
        data.fill(batch, indices: [1, 0])
        // v/127.5 − 1 in float32: within 2 ulps of the exact value.
        for (actual, expected) in zip(batch.array, [127 / 127.5 - 1, 128 / 127.5 - 1, -1, 1] as [Float]) {
            XCTAssertEqual(actual, expected, accuracy: 2e-7)
        }
    }
}
