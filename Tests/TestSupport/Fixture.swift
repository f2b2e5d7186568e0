import Foundation
import Neural
import Storage

/// Golden values written by `Scripts/make_fixtures.py` (PyTorch, float64 from float32 inputs).
public struct Fixture {
    public let file: SafeTensorsFile

    /// Loads `Tests/Fixtures/NAME.safetensors`, located from this source file.
    public init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).safetensors")
        file = try SafeTensorsFile(contentsOf: url)
    }

    public func floats(_ name: String) throws -> [Float] { try file.floats(name) }

    public func shape(_ name: String) throws -> [Int] {
        guard let e = file[name] else { throw SafeTensorsError("missing fixture tensor \(name)") }
        return e.shape
    }

    /// The fixture tensor as an NCHW `Tensor`; 1-D and 2-D shapes become `(n, c, 1, 1)`.
    public func tensor(_ name: String) throws -> Tensor {
        let s = try shape(name)
        let dims = s + Array(repeating: 1, count: max(0, 4 - s.count))
        let t = Tensor(Shape(dims[0], dims[1], dims[2], dims[3]))
        t.copy(from: try floats(name))
        return t
    }

    public func metadata(_ key: String) -> Int? { file.metadata[key].flatMap(Int.init) }
}

/// How far `actual` is from `expected`, relative to the largest reference magnitude:
/// `relative = max_i |a_i − e_i| / max_i |e_i|`. Elementwise relative error would blow up
/// at reference values near zero, which every gradient has; scaling by the tensor's own
/// magnitude is the usual float32 yardstick (a float32 ulp is 6e-8 of it).
public struct Comparison: CustomStringConvertible {
    public let maxAbsoluteError: Double
    public let scale: Double
    public let count: Int

    public init(_ actual: UnsafeBufferPointer<Float>, _ expected: [Float]) {
        precondition(actual.count == expected.count, "comparing \(actual.count) values with \(expected.count)")
        var err = 0.0, scale = 0.0
        for i in 0..<expected.count {
            err = max(err, abs(Double(actual[i]) - Double(expected[i])))
            scale = max(scale, abs(Double(expected[i])))
        }
        if actual.contains(where: { !$0.isFinite }) { err = .infinity }
        maxAbsoluteError = err
        self.scale = scale
        count = expected.count
    }

    public init(_ actual: [Float], _ expected: [Float]) {
        self = actual.withUnsafeBufferPointer { Comparison($0, expected) }
    }

    public var relative: Double { scale > 0 ? maxAbsoluteError / scale : maxAbsoluteError }

    public var description: String {
        "max |error| \(maxAbsoluteError) over \(count) values of scale \(scale): relative \(relative)"
    }
}

extension Tensor {
    /// The values of a plain tensor (`array` converts a blocked one).
    public var values: UnsafeBufferPointer<Float> {
        precondition(layout == .plain, "values of a \(layout) tensor")
        return UnsafeBufferPointer(start: data, count: count)
    }
}

extension ParameterArena {
    /// Copies values into the slice called `name`.
    public func set(_ name: String, _ values: [Float]) {
        guard let s = slice(named: name) else { preconditionFailure("no parameter \(name) in \(slices.map(\.name))") }
        precondition(values.count == s.count, "\(name): \(values.count) values for \(s.shape)")
        values.withUnsafeBufferPointer { value(s).update(from: $0.baseAddress!, count: s.count) }
        valuesChanged()
    }

    public func values(_ name: String) -> UnsafeBufferPointer<Float> {
        let s = slice(named: name)!
        return UnsafeBufferPointer(start: value(s), count: s.count)
    }

    public func gradients(_ name: String) -> UnsafeBufferPointer<Float> {
        let s = slice(named: name)!
        return UnsafeBufferPointer(start: gradient(s), count: s.count)
    }
}
