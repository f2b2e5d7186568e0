import Foundation
import Neural
import Storage
import XCTest

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensorsFile {
        var f = SafeTensorsFile()
        f.add("a.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        f.add("b.count", shape: [], int64s: [42])
        f.metadata = ["format": "x", "quote\"d": "line\nbreak"]
        return f
    }

    func testRoundTrip() throws {
        let bytes = sample().serialized()
        XCTAssertEqual(bytes.count % 8, 0, "header padded to 8 bytes")
        let back = try SafeTensorsFile(data: bytes)
        XCTAssertEqual(try back.floats("a.weight"), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(back["a.weight"]?.shape, [2, 3])
        XCTAssertEqual(try back.int64s("b.count"), [42])
        XCTAssertEqual(back.metadata, ["format": "x", "quote\"d": "line\nbreak"])
        XCTAssertEqual(back.names, ["a.weight", "b.count"])
    }

    /// A file with header `json` and `payload` data bytes.
    func file(_ json: String, payload: Int = 32, length: UInt64? = nil) -> Data {
        var d = Data()
        withUnsafeBytes(of: (length ?? UInt64(json.utf8.count)).littleEndian) { d.append(contentsOf: $0) }
        d.append(Data(json.utf8))
        d.append(Data(repeating: 0, count: payload))
        return d
    }

    func assertRejected(_ data: Data, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(data: data), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "\(error) should mention \(text)", file: file, line: line)
        }
    }

    func testHandBrokenHeaders() {
        assertRejected(Data([1, 2, 3]), mentioning: "too short")
        assertRejected(file("{}", length: 1 << 62), mentioning: "exceeds the limit")
        assertRejected(file("{}", length: 1000), mentioning: "does not fit")
        assertRejected(file("[1, 2]"), mentioning: "not a JSON object")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]"), mentioning: "not a JSON object")
        assertRejected(file("{\"t\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}"), mentioning: "unsupported dtype")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}"), mentioning: "needs 8 bytes")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[30,38]}}"), mentioning: "outside")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}"), mentioning: "outside")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}"), mentioning: "invalid dimension")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}"), mentioning: "invalid dimension")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[16,16],\"data_offsets\":[0,8]}}"), mentioning: "larger than the file")
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}"), mentioning: "overlap")
        assertRejected(file("{\"t\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}"), mentioning: "no valid shape")
        assertRejected(file("{\"__metadata__\":{\"k\":1}}"), mentioning: "not a string")
    }

    /// Random byte flips, truncations and length fields over a valid file: every outcome is a
    /// parsed file or a thrown error, never a crash or a huge allocation.
    func testFuzzedFilesNeverCrash() {
        let valid = [UInt8](sample().serialized())
        let random = Philox(seed: 77)
        var rejected = 0
        for i in 0..<3000 {
            var bytes = valid
            let kind = random.integer(stream: 1, index: UInt64(i), below: 3)
            switch kind {
            case 0:
                for j in 0..<4 {
                    let at = random.integer(stream: 2, index: UInt64(i * 4 + j), below: bytes.count)
                    bytes[at] = UInt8(random.integer(stream: 3, index: UInt64(i * 4 + j), below: 256))
                }
            case 1:
                bytes = Array(bytes.prefix(random.integer(stream: 4, index: UInt64(i), below: bytes.count)))
            default:
                for j in 0..<8 { bytes[j] = UInt8(random.integer(stream: 5, index: UInt64(i * 8 + j), below: 256)) }
            }
            do { _ = try SafeTensorsFile(data: Data(bytes)) } catch { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 1000, "most mutations are caught")
    }

    /// The content digest binds names to bytes and covers the metadata, but not the layout:
    /// another writer's order and padding (Python's `safetensors`) keeps it.
    func testContentDigestSurvivesAReorderedFileButNotAnEdit() throws {
        var f = SafeTensorsFile()
        f.add("a", shape: [2], floats: [1, 2])
        f.add("b", shape: [2], floats: [3, 4])
        f.add("n", shape: [], int64s: [7])
        f.metadata = ["step": "5", "format": "x", "sum": "ignored"]
        let digest = f.contentDigest(excluding: "sum")
        var reordered = SafeTensorsFile()
        reordered.add("n", shape: [], int64s: [7])
        reordered.add("b", shape: [2], floats: [3, 4])
        reordered.add("a", shape: [2], floats: [1, 2])
        reordered.metadata = ["format": "x", "step": "5", "sum": "other"]
        XCTAssertNotEqual(f.serialized(), reordered.serialized())
        XCTAssertEqual(try SafeTensorsFile(data: reordered.serialized()).contentDigest(excluding: "sum"), digest)
        var edited = f
        edited.metadata["step"] = "6"
        XCTAssertNotEqual(edited.contentDigest(excluding: "sum"), digest, "an edited metadata value")
        var swapped = SafeTensorsFile()
        swapped.add("a", shape: [2], floats: [3, 4])
        swapped.add("b", shape: [2], floats: [1, 2])
        swapped.add("n", shape: [], int64s: [7])
        swapped.metadata = f.metadata
        XCTAssertNotEqual(swapped.contentDigest(excluding: "sum"), digest, "two tensor names swapped")
        var reshaped = SafeTensorsFile()
        reshaped.add("a", shape: [1, 2], floats: [1, 2])
        reshaped.add("b", shape: [2], floats: [3, 4])
        reshaped.add("n", shape: [], int64s: [7])
        reshaped.metadata = f.metadata
        XCTAssertNotEqual(reshaped.contentDigest(excluding: "sum"), digest, "a changed shape")
    }
}
