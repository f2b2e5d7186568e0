import Training
import XCTest

final class LaunchReportTests: XCTestCase {
    /// The bf16 warning appears where bf16 dot products are not faster than fp32 FMAs (an
    /// Intel core without AMX), not where they are (AMD Zen 4), nor where bf16 is missing.
    func testBF16WarningOnlyWhereBF16IsNotFaster() throws {
        let intel = try XCTUnwrap(LaunchReport.bf16Warning(bf16: 87.2, fp32: 179.0))
        XCTAssertTrue(intel.hasPrefix("warning: "), intel)
        XCTAssertTrue(intel.contains("87 GFLOP/s against 179"), intel)
        XCTAssertFalse(intel.contains("\n"), "one line")
        XCTAssertNotNil(LaunchReport.bf16Warning(bf16: 100, fp32: 100))
        XCTAssertNil(LaunchReport.bf16Warning(bf16: 231.6, fp32: 116.9))
        XCTAssertNil(LaunchReport.bf16Warning(bf16: 0, fp32: 179))
    }
}
