@preconcurrency import CDNNL
import Dispatch
import Foundation

/// oneDNN (Debian's libdnnl, 2.x, OpenMP threads) through its C API: the CPU engine and stream,
/// memory objects and primitives that are created once and then executed without allocating.
/// Every status is checked: creation failures throw (the caller falls back to OpenBLAS),
/// execution failures end the process with the primitive named.
public enum DNNL {
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        guard dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success, let e else { fatalError("oneDNN: cannot create the CPU engine") }
        return e
    }()

    nonisolated(unsafe) static let stream: dnnl_stream_t = {
        var s: dnnl_stream_t?
        guard dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let s else { fatalError("oneDNN: cannot create a stream") }
        return s
    }()

    /// The channel block of activations: 16 where oneDNN runs AVX-512 kernels, 8 otherwise
    /// (its AVX2 kernels' block); `ONEDNN_MAX_CPU_ISA` caps the ISA.
    public static let block: Int = (dnnl_get_effective_cpu_isa().rawValue & 0x20) != 0 ? 16 : 8

    /// The ISA oneDNN runs, e.g. "avx512_core_bf16".
    public static var isa: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx2: "avx2"
        default: "isa \(dnnl_get_effective_cpu_isa().rawValue)"
        }
    }

    public static var version: String {
        let v = dnnl_version()!.pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The blocked format tag of `block`.
    static var blockedTag: dnnl_format_tag_t { block == 16 ? dnnl_nChw16c : dnnl_nChw8c }

    /// Nanoseconds spent in oneDNN convolutions and their FLOPs counted as GEMMs (for `bench`).
    nonisolated(unsafe) public static var nanoseconds: UInt64 = 0
    nonisolated(unsafe) public static var flops: Double = 0

    /// OpenMP threads of oneDNN (libgomp, loaded with libdnnl): set through `omp_set_num_threads`.
    public static func setThreads(_ n: Int) {
        typealias Setter = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return }  // RTLD_DEFAULT
        unsafeBitCast(symbol, to: Setter.self)(Int32(n))
    }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(DNNLError) {
        guard status == dnnl_success else { throw DNNLError("oneDNN: \(what()) failed (status \(status.rawValue))") }
    }

    /// A 4-D memory descriptor.
    static func descriptor(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int, _ tag: dnnl_format_tag_t,
                           type: dnnl_data_type_t = dnnl_f32) throws(DNNLError) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        try check(sg_md4(&md, Int64(d0), Int64(d1), Int64(d2), Int64(d3), type, tag), "memory descriptor \(d0)x\(d1)x\(d2)x\(d3)")
        return md
    }

    /// Activations `(n, C, H, W)` in `layout`.
    static func descriptor(_ shape: Shape, _ layout: Layout, type: dnnl_data_type_t = dnnl_f32) throws(DNNLError) -> dnnl_memory_desc_t {
        try descriptor(shape.n, shape.c, shape.h, shape.w, layout == .plain ? dnnl_nchw : blockedTag, type: type)
    }
}

public struct DNNLError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A oneDNN memory object over a buffer that is bound (`bind`) before each execution.
final class DNNLMemory {
    let memory: dnnl_memory_t
    var descriptor: dnnl_memory_desc_t

    init(_ descriptor: dnnl_memory_desc_t) throws(DNNLError) {
        self.descriptor = descriptor
        var m: dnnl_memory_t?
        try DNNL.check(dnnl_memory_create(&m, &self.descriptor, DNNL.engine, nil), "memory object")
        memory = m!
    }

    deinit { dnnl_memory_destroy(memory) }

    var byteCount: Int { dnnl_memory_desc_get_size(&descriptor) }

    @inline(__always)
    func bind(_ pointer: UnsafeRawPointer) {
        dnnl_memory_set_data_handle(memory, UnsafeMutableRawPointer(mutating: pointer))
    }
}

/// A primitive with its execution arguments and its own scratchpad, all made at creation.
final class DNNLPrimitive {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    let name: String
    private var arguments: UnsafeMutablePointer<dnnl_exec_arg_t>
    private var argumentCount = 0
    /// The memory objects of `arguments`, kept alive as long as the primitive.
    private var argumentMemories: [DNNLMemory] = []
    private let scratchpad: DNNLMemory
    private let scratchBuffer: UnsafeMutablePointer<UInt8>

    /// From an operation descriptor (convolutions), optionally with a forward hint.
    convenience init(_ name: String, operation: UnsafeRawPointer, hint: DNNLPrimitive? = nil) throws(DNNLError) {
        let attr = try Self.attributes(accumulate: false)
        defer { dnnl_primitive_attr_destroy(attr) }
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dnnl_primitive_desc_create(&pd, operation, attr, DNNL.engine, hint?.descriptor), "\(name) descriptor")
        try self.init(name, descriptor: pd!)
    }

    /// A reorder from `source` to `destination`, adding to the destination when `accumulate`.
    convenience init(reorder name: String, from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, accumulate: Bool) throws(DNNLError) {
        let attr = try Self.attributes(accumulate: accumulate)
        defer { dnnl_primitive_attr_destroy(attr) }
        var pd: dnnl_primitive_desc_t?
        var s = source, d = destination
        try DNNL.check(dnnl_reorder_primitive_desc_create(&pd, &s, DNNL.engine, &d, DNNL.engine, attr), "\(name) reorder descriptor")
        try self.init(name, descriptor: pd!)
    }

    private init(_ name: String, descriptor: dnnl_primitive_desc_t) throws(DNNLError) {
        self.name = name
        self.descriptor = descriptor
        var p: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&p, descriptor), "\(name) primitive")
        primitive = p!
        arguments = .allocate(capacity: 8)
        scratchpad = try DNNLMemory(dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).pointee)
        scratchBuffer = Memory.allocate(max(scratchpad.byteCount, 1))
        scratchpad.bind(scratchBuffer)
        add(Int32(SG_ARG_SCRATCHPAD), scratchpad)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
        arguments.deallocate()
        Memory.free(scratchBuffer)
    }

    private static func attributes(accumulate: Bool) throws(DNNLError) -> dnnl_primitive_attr_t {
        var attr: dnnl_primitive_attr_t?
        try DNNL.check(dnnl_primitive_attr_create(&attr), "attributes")
        try DNNL.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "user scratchpad")
        if accumulate {
            var ops: dnnl_post_ops_t?
            try DNNL.check(dnnl_post_ops_create(&ops), "post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            try DNNL.check(dnnl_post_ops_append_sum(ops, 1), "sum post-op")
            try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops attribute")
        }
        return attr!
    }

    /// The memory descriptor the primitive chose for `what` (`dnnl_query_weights_md`, …).
    func query(_ what: dnnl_query_t) -> dnnl_memory_desc_t { dnnl_primitive_desc_query_md(descriptor, what, 0).pointee }

    /// The implementation oneDNN picked, e.g. "jit:avx512_core" (a "ref" one is slow).
    var implementation: String { String(cString: sg_impl_info(descriptor)) }

    /// Adds an execution argument (at creation; at most 7 besides the scratchpad).
    func add(_ kind: Int32, _ memory: DNNLMemory) {
        precondition(argumentCount < 8)
        arguments[argumentCount] = dnnl_exec_arg_t(arg: kind, memory: memory.memory)
        argumentCount += 1
        argumentMemories.append(memory)
    }

    /// Runs it to completion on the shared stream.
    func execute() {
        let status = dnnl_primitive_execute(primitive, DNNL.stream, Int32(argumentCount), arguments)
        guard status == dnnl_success, dnnl_stream_wait(DNNL.stream) == dnnl_success else {
            fatalError("oneDNN: \(name) failed to execute (status \(status.rawValue))")
        }
    }
}
