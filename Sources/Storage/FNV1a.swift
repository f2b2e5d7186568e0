/// FNV-1a, 64-bit: the checksum of checkpoint payloads and the digest that compares replicas.
/// Not cryptographic; it detects corruption and divergence, not tampering.
public struct FNV1a {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        value = h
    }

    public mutating func add(_ floats: UnsafePointer<Float>, count: Int) {
        add(UnsafeRawBufferPointer(start: floats, count: count * MemoryLayout<Float>.size))
    }
}
