import Foundation
import Storage
import XCTest

/// Reading only regular files, atomic writes that refuse to replace what is not a regular
/// file, temporary-file hygiene, and the run-directory lock.
final class FileSafetyTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("files-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func testAFIFOOrADirectoryIsRefusedAtOnceNotRead() throws {
        let fifo = "\(directory!)/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let start = Date()
        XCTAssertThrowsError(try RegularFile.read(fifo)) { XCTAssertTrue("\($0)".contains("not a regular file (a FIFO)"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.map(directory)) { XCTAssertTrue("\($0)".contains("a directory"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "no wait for a writer")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(directory!)/plain"))
        XCTAssertEqual(try RegularFile.read("\(directory!)/plain"), [1, 2, 3])
        XCTAssertThrowsError(try RegularFile.read("\(directory!)/missing")) { XCTAssertTrue("\($0)".contains("No such file"), "\($0)") }
    }

    func testAtomicWriteRefusesToReplaceAFIFOOrADirectory() throws {
        let fifo = "\(directory!)/out.pack"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertThrowsError(try AtomicFile.write([1, 2], to: fifo)) { XCTAssertTrue("\($0)".contains("refusing to replace it"), "\($0)") }
        var info = stat()
        XCTAssertEqual(stat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still there")
        XCTAssertThrowsError(try AtomicFile.write([1], to: directory)) { XCTAssertTrue("\($0)".contains("a directory"), "\($0)") }
        XCTAssertEqual(Directory.entries(directory), ["out.pack"], "no temporary file left behind")
    }

    func testAtomicWriteReplacesWholeOrNotAtAll() throws {
        let path = "\(directory!)/a.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        let file = try AtomicFile(path)
        try file.write([9, 9])
        XCTAssertEqual(try RegularFile.read(path), [1, 2, 3], "old content until commit")
        XCTAssertTrue(Directory.entries(directory).contains { $0.hasPrefix(".a.bin.tmp-") })
        file.abandon()
        XCTAssertEqual(Directory.entries(directory), ["a.bin"])
        let second = try AtomicFile(path)
        try second.write([7])
        try second.commit()
        XCTAssertEqual(try RegularFile.read(path), [7])
    }

    /// Temporary files of dead processes on this host go; those of live processes and of other
    /// hosts (a shared filesystem) stay.
    func testStaleTemporaryFilesOfDeadProcessesAreRemoved() throws {
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let host = TemporaryFile.host
        let names = [".ckpt.tmp-\(host)-\(dead.processIdentifier)", ".ckpt.tmp-\(host)-\(getpid())",
                     ".ckpt.tmp-elsewhere-\(dead.processIdentifier)", ".other.tmp-\(host)-\(dead.processIdentifier)", "ckpt"]
        for name in names { try Data([0]).write(to: URL(fileURLWithPath: "\(directory!)/\(name)")) }
        XCTAssertEqual(TemporaryFile.removeStale(in: directory, target: "ckpt"), [names[0]])
        XCTAssertEqual(TemporaryFile.removeStale(in: directory), [names[3]])
        XCTAssertEqual(Set(Directory.entries(directory)), Set([names[1], names[2], names[4]]))
    }

    func testADirectoryLockExcludesASecondHolderAndNamesTheFirst() throws {
        var first: DirectoryLock? = try DirectoryLock(directory, holder: "swiftgan train", advice: "choose another")
        XCTAssertThrowsError(try DirectoryLock(directory, holder: "swiftgan train", advice: "choose another")) {
            XCTAssertTrue("\($0)".contains("is in use by swiftgan train (pid \(getpid()) on"), "\($0)")
            XCTAssertTrue("\($0)".hasSuffix("choose another"), "\($0)")
        }
        XCTAssertNotNil(first)
        first = nil  // released with its holder, as when a process exits
        _ = try DirectoryLock(directory, holder: "swiftgan train", advice: "")
    }

    func testDirectoryErrorsReadAsTheSystemSaysThem() throws {
        try Data([0]).write(to: URL(fileURLWithPath: "\(directory!)/file"))
        XCTAssertThrowsError(try Directory.create("\(directory!)/file/sub")) {
            XCTAssertTrue("\($0)".contains("not a directory"), "\($0)")
            XCTAssertFalse("\($0)".contains("NSCocoaErrorDomain"), "\($0)")
        }
    }
}
