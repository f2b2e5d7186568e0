import Foundation
import Monitoring
import XCTest

/// TensorBoard's file format (TFRecord framing with masked CRC-32C around `Event` protocol
/// buffers), the report page, and the alarms.
final class MonitoringTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// RFC 3720's check value and TensorFlow's masking.
    func testCRC32CAndItsMask() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        let crc = CRC32C.checksum(Array("abc".utf8))
        XCTAssertEqual(CRC32C.masked(Array("abc".utf8)), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    /// Reads a varint from `bytes` at `i`.
    func varint(_ bytes: [UInt8], _ i: inout Int) -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = bytes[i]
            i += 1
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    /// Top-level fields of a protocol buffer: field number → raw value (varint, fixed bytes, or
    /// length-delimited bytes).
    func fields(_ bytes: [UInt8]) -> [(Int, [UInt8])] {
        var out: [(Int, [UInt8])] = [], i = 0
        while i < bytes.count {
            let key = Int(varint(bytes, &i)), field = key >> 3
            switch key & 7 {
            case 0: let start = i; _ = varint(bytes, &i); out.append((field, Array(bytes[start..<i])))
            case 1: out.append((field, Array(bytes[i..<(i + 8)]))); i += 8
            case 5: out.append((field, Array(bytes[i..<(i + 4)]))); i += 4
            default: let n = Int(varint(bytes, &i)); out.append((field, Array(bytes[i..<(i + n)]))); i += n
            }
        }
        return out
    }

    func testEventFileFramingChecksumsAndMessages() throws {
        let writer = try TensorBoardWriter(directory: directory.path, wallTime: 1000)
        try writer.scalars([("train/loss_d", 0.5), ("train/loss_g", 2)], step: 7, wallTime: 1001)
        try writer.image("samples", png: [1, 2, 3, 4], width: 2, height: 3, channels: 1, step: 8, wallTime: 1002)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        XCTAssertTrue(URL(fileURLWithPath: writer.path).lastPathComponent.hasPrefix("events.out.tfevents.1000."))
        var records: [[UInt8]] = [], i = 0
        while i < bytes.count {
            let lengthBytes = Array(bytes[i..<(i + 8)])
            let length = lengthBytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
            let lengthCRC = bytes[(i + 8)..<(i + 12)].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
            XCTAssertEqual(lengthCRC, CRC32C.masked(lengthBytes), "length CRC of record \(records.count)")
            let record = Array(bytes[(i + 12)..<(i + 12 + length)])
            let dataCRC = bytes[(i + 12 + length)..<(i + 16 + length)].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
            XCTAssertEqual(dataCRC, CRC32C.masked(record), "data CRC of record \(records.count)")
            records.append(record)
            i += 16 + length
        }
        XCTAssertEqual(i, bytes.count)
        XCTAssertEqual(records.count, 3)
        // Event 1: wall_time 1000, step 0, file_version "brain.Event:2".
        let first = fields(records[0])
        XCTAssertEqual(first.map(\.0), [1, 2, 3])
        XCTAssertEqual(first[0].1.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }, 1000)
        XCTAssertEqual(String(decoding: first[2].1, as: UTF8.self), "brain.Event:2")
        // Event 2: step 7 and a summary of two values, tag and simple_value.
        let second = fields(records[1])
        XCTAssertEqual(second.map(\.0), [1, 2, 5])
        let values = fields(second[2].1).map { fields($0.1) }
        XCTAssertEqual(values.map { String(decoding: $0[0].1, as: UTF8.self) }, ["train/loss_d", "train/loss_g"])
        XCTAssertEqual(values.map { $0[1].0 }, [2, 2])
        XCTAssertEqual(values[1][1].1.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }, 2)
        // Event 3: an image value (field 4) holding height, width, colorspace and the PNG.
        let image = fields(fields(fields(records[2])[2].1)[0].1)
        XCTAssertEqual(image.map(\.0), [1, 4])
        XCTAssertEqual(fields(image[1].1).map(\.0), [1, 2, 3, 4])
        XCTAssertEqual(fields(image[1].1)[3].1, [1, 2, 3, 4])
    }

    func testReportPageIsSelfContained() {
        let history = ReportPage.history("{\"step\":10,\"loss_d\":1.5,\"loss_g\":2}\n{\"step\":20,\"loss_d\":1.2,\"loss_g\":2.5}\n{\"step\":20,\"event\":\"d_wins\"}\n")
        XCTAssertEqual(history.count, 3)
        let page = ReportPage(title: "run <x>", summary: ["a & b"], panels: [ReportPage.Panel("Losses", ["loss_d", "loss_g"])],
                              history: history, grids: [ReportPage.Picture(png: [137, 80, 78, 71], caption: "step 20")],
                              judged: [ReportPage.Picture(png: [1], caption: "real 0.93")]).html
        XCTAssertTrue(page.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(page.contains("run &lt;x&gt;") && page.contains("a &amp; b"))
        XCTAssertEqual(page.components(separatedBy: "<polyline").count - 1, 2, "one curve per metric")
        XCTAssertTrue(page.contains("src='data:image/png;base64,iVBORw=='"), "images inline, no other file needed")
        XCTAssertFalse(page.contains("http://") && !page.contains("xmlns='http://www.w3.org/2000/svg'"), "nothing fetched")
        XCTAssertTrue(page.contains("real 0.93"))
    }

    func testAlarmsRaiseOnceAndRearm() {
        var alarms = Alarms(window: 3)
        let healthy: [String: Double] = ["d_x": 0.7, "d_g_z1": 0.3, "loss_g": 1]
        XCTAssertNil(alarms.observe(healthy))
        XCTAssertNil(alarms.observe(["d_x": 0.99, "d_g_z1": 0.01, "loss_g": 3]))
        XCTAssertNil(alarms.observe(["d_x": 0.99, "d_g_z1": 0.01, "loss_g": 4]))
        XCTAssertEqual(alarms.observe(["d_x": 0.99, "d_g_z1": 0.01, "loss_g": 5])?.event, "d_wins")
        XCTAssertNil(alarms.observe(["d_x": 0.99, "d_g_z1": 0.01, "loss_g": 6]), "raised once")
        XCTAssertNil(alarms.observe(healthy))
        XCTAssertEqual(alarms.observe(["loss_d": .nan])?.event, "non_finite")
        XCTAssertNil(alarms.observe(histogram: [10, 9, 11, 10]))
        XCTAssertEqual(alarms.observe(histogram: [40, 1, 0, 1])?.event, "mode_collapse")
        XCTAssertNil(alarms.observe(histogram: [40, 1, 0, 1]))
        XCTAssertNil(alarms.observe(histogram: [10, 10, 10, 10]))
        XCTAssertEqual(alarms.observe(histogram: [0, 0, 30, 0])?.event, "mode_collapse", "re-armed after recovery")
    }
}
