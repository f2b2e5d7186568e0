import Distributed
import Foundation

/// `size` in-process replicas on threads, with the collectives a trainer needs: the
/// `Communicator` protocol without MPI, so that a test can run R replicas of a step side by
/// side with one process and compare everything in memory. Every collective combines the
/// ranks' buffers in rank order.
public final class ThreadGroup: @unchecked Sendable {
    public let size: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    /// Each rank's buffer for the collective in progress.
    fileprivate var slots: [UnsafeMutableRawPointer?]

    public init(size: Int) {
        self.size = size
        slots = Array(repeating: nil, count: size)
    }

    public func communicator(rank: Int) -> Communicator { Member(group: self, rank: rank) }

    /// Runs `body(rank)` on `size` threads and waits for all.
    public func run(_ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchGroup()
        for rank in 0..<size {
            done.enter()
            Thread.detachNewThread {
                body(rank)
                done.leave()
            }
        }
        done.wait()
    }

    fileprivate func barrier() {
        condition.lock()
        let mine = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        condition.unlock()
    }

    /// Publishes `buffer` as `rank`'s, waits for every rank, runs `body` (which may read every
    /// slot), and waits again so that no buffer is reused while another rank still reads it.
    fileprivate func collective(rank: Int, _ buffer: UnsafeMutableRawPointer, _ body: ([UnsafeMutableRawPointer]) -> Void) {
        slots[rank] = buffer
        barrier()
        body(slots.map { $0! })
        barrier()
    }
}

private final class Member: Communicator {
    let group: ThreadGroup
    let rank: Int
    init(group: ThreadGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    var size: Int { group.size }
    var hostName: String { "threads" }

    private func reduce<T>(_ values: UnsafeMutablePointer<T>, count: Int, _ combine: (T, T) -> T) {
        let mine = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        defer { mine.deallocate() }
        group.collective(rank: rank, UnsafeMutableRawPointer(values)) { slots in
            for i in 0..<count {
                var v = slots[0].assumingMemoryBound(to: T.self)[i]
                for r in 1..<slots.count { v = combine(v, slots[r].assumingMemoryBound(to: T.self)[i]) }
                mine[i] = v
            }
        }
        values.update(from: mine, count: count)
    }

    func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) { reduce(values, count: count, +) }
    func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) { reduce(values, count: count, +) }
    func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) { reduce(values, count: count, &+) }
    func allreduceMax(_ values: UnsafeMutablePointer<Double>, count: Int) { reduce(values, count: count) { Swift.max($0, $1) } }

    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) {
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        defer { copy.deallocate() }
        group.collective(rank: rank, bytes) { slots in copy.copyMemory(from: slots[root], byteCount: count) }
        bytes.copyMemory(from: copy, byteCount: count)
    }

    func allgather(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutableRawPointer) {
        group.collective(rank: rank, UnsafeMutableRawPointer(mutating: bytes)) { slots in
            for r in 0..<slots.count { (into + r * count).copyMemory(from: slots[r], byteCount: count) }
        }
    }

    func barrier() { group.barrier() }
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}
