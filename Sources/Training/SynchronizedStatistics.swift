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

    init(_ communicator: Communicator) { self.communicator = communicator }

    func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) {
        do {
            try communicator.allreduceSum(values, count: count)
        } catch {
            FileHandle.standardError.write(Data("error: rank \(communicator.rank): synchronized BatchNorm: \(error)\n".utf8))
            communicator.abort(code: 1)
        }
    }
}
