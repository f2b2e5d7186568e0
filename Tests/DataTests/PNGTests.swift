import Data
import Foundation
import XCTest

final class PNGTests: XCTestCase {
    func testGreyAndRGBRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory
        for channels in [1, 3] {
            let w = 7, h = 5
            let pixels = (0..<(w * h * channels)).map { UInt8(($0 * 37) % 256) }
            let path = dir.appendingPathComponent("roundtrip-\(channels)-\(UUID().uuidString).png").path
            try PNG.write(path: path, width: w, height: h, channels: channels, pixels: pixels)
            let back = try PNG.read(path: path, channels: channels)
            XCTAssertEqual(back.width, w)
            XCTAssertEqual(back.height, h)
            XCTAssertEqual(back.pixels, pixels)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func testCorruptPNGIsAnError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).png").path
        try Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNG.read(path: path, channels: 1))
        try? FileManager.default.removeItem(atPath: path)
    }
}
