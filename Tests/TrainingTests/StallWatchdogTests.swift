import Foundation
import Synchronization
import Training
import XCTest

/// The stall watchdog: its limit, and that it fires on a stuck step (naming rank, host, step and
/// phase) but not on a slow one that finishes.
final class StallWatchdogTests: XCTestCase {
    func testLimit() {
        XCTAssertEqual(StallWatchdog.limit(timeout: nil, durations: []), 600, "the first step has no history")
        XCTAssertEqual(StallWatchdog.limit(timeout: nil, durations: Array(repeating: 0.2, count: 10)), 30, "the floor")
        XCTAssertEqual(StallWatchdog.limit(timeout: nil, durations: [4, 5, 6, 100]), 55, "10 x the median")
        XCTAssertEqual(StallWatchdog.limit(timeout: nil, durations: Array(repeating: 100, count: 60) + Array(repeating: 5, count: 50)), 50,
                       "the last 50 steps only")
        XCTAssertEqual(StallWatchdog.limit(timeout: 12, durations: [100]), 12)
    }

    final class Calls: Sendable {
        let messages = Mutex<[String]>([])
        var all: [String] { messages.withLock { $0 } }
    }

    func testFiresOnceOnAStuckStepNamingWhereItIs() throws {
        let calls = Calls(), phase = StepPhase()
        let watchdog = StallWatchdog(timeout: 0.5, phase: phase, identity: "rank 1 on node7") { m in calls.messages.withLock { $0.append(m) } }
        watchdog.stepStarted(3)
        phase.enter(.discriminatorUpdate, step: 1)
        Thread.sleep(forTimeInterval: 1.5)
        let messages = calls.all
        XCTAssertEqual(messages.count, 1, "\(messages)")
        let m = try XCTUnwrap(messages.first)
        for part in ["rank 1 on node7", "step 4", "D step 2: allreduce of D's gradients", "--stall-timeout", "checkpoint"] {
            XCTAssertTrue(m.contains(part), "'\(part)' in \(m)")
        }
        watchdog.stop()
    }

    func testSlowStepsThatFinishDoNotFire() {
        let calls = Calls(), phase = StepPhase()
        let watchdog = StallWatchdog(timeout: 1.0, phase: phase, identity: "rank 0 on a") { m in calls.messages.withLock { $0.append(m) } }
        for step in 0..<3 {
            watchdog.stepStarted(step)
            Thread.sleep(forTimeInterval: 0.4)
            watchdog.stepEnded()
        }
        Thread.sleep(forTimeInterval: 1.2)
        XCTAssertEqual(calls.all, [], "no step ran past its limit, and nothing runs between steps")
        watchdog.stop()
    }
}
