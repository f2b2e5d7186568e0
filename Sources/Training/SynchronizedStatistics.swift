import Distributed
import Foundation
import Neural

/// Synchronized BatchNorm: the engine's `StatisticsReducer` carried out by the communicator.
///
/// BN calls this from inside forward and backward, which cannot throw; a failed collective
/// means the job cannot go on consistently, so it is reported with the rank and the whole
/// job is aborted rather than left to hang.
final class SynchronizedStatistics: StatisticsReducer {
    let communicator: Communicator
    let timer: CommunicationTimer

    init(_ communicator: Communicator, timer: CommunicationTimer) {
        self.communicator = communicator
        self.timer = timer
    }

    func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) {
        do {
            let start = timer.start()
            try communicator.allreduceSum(values, count: count)
            timer.stop(start)
        } catch {
            FileHandle.standardError.write(Data("error: rank \(communicator.rank): synchronized BatchNorm: \(error)\n".utf8))
            communicator.abort(code: 1)
        }
    }
}

/// Accumulates wall time (collectives, optimizer updates).
final class CommunicationTimer {
    private(set) var nanoseconds: UInt64 = 0
    var seconds: Double { Double(nanoseconds) * 1e-9 }

    @inline(__always) func start() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    @inline(__always) func stop(_ start: UInt64) { nanoseconds += DispatchTime.now().uptimeNanoseconds - start }
}
