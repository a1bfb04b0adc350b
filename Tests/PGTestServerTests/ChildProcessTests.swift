import Foundation
import Testing

@_spi(Testing) import PGTestServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ChildProcess, the posix_spawn runner that replaces Foundation's `Process` (whose `run()`
/// crashes now and then in Swift 6.3.1): output, exit, input, timeout, environment, and what
/// the child inherits.
@Suite("ChildProcess")
struct ChildProcessTests {
    /// Runs `command` off the cooperative pool.
    static func run(
        _ command: [String], environment: [String: String]? = nil,
        directory: String? = nil, input: [UInt8]? = nil, timeout: Duration = .seconds(60)
    ) async throws -> ChildProcess.Result {
        try await timedRun(command, environment: environment, directory: directory, input: input, timeout: timeout).result
    }

    /// Runs `command` off the cooperative pool, and how long the run took, measured on the
    /// thread that ran it (a busy pool may resume the test much later).
    static func timedRun(
        _ command: [String], environment: [String: String]? = nil,
        directory: String? = nil, input: [UInt8]? = nil, timeout: Duration = .seconds(60)
    ) async throws -> (result: ChildProcess.Result, elapsed: Duration) {
        try await onOwnThread {
            let start = ContinuousClock.now
            let result = try ChildProcess.run(
                command, environment: environment, directory: directory, input: input, timeout: timeout)
            return (result, ContinuousClock.now - start)
        }
    }

    @Test func capturesStandardOutputAndStandardErrorApart() async throws {
        let result = try await Self.run(["/bin/sh", "-c", "echo out; echo err >&2; echo more"])
        #expect(result.stdoutText == "out\nmore\n")
        #expect(result.stderrText == "err\n")
        #expect(result.termination == .exited(0))
        #expect(!result.timedOut)
    }

    @Test func standardErrorCanFollowStandardOutput() async throws {
        let text = try await onOwnThread { () throws -> String in
            let child = try ChildProcess(["/bin/sh", "-c", "echo a; echo b >&2; echo c"], stderr: .standardOutput)
            #expect(child.waitForExit() == .exited(0))
            #expect(child.standardError.isEmpty)
            return String(decoding: child.standardOutput, as: UTF8.self)
        }
        #expect(text == "a\nb\nc\n")
    }

    /// Megabytes on both streams, standard error first: a runner reading one pipe to its end
    /// before the other would wait for ever.
    @Test func largeOutputOnBothStreamsDoesNotStall() async throws {
        let (result, elapsed) = try await Self.timedRun(
            ["/bin/sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' e >&2; head -c 8000000 /dev/zero | tr '\\0' o"],
            timeout: .seconds(60))
        #expect(!result.timedOut)
        #expect(result.termination == .exited(0))
        #expect(result.stdout.count == 8_000_000 && result.stdout.allSatisfy { $0 == UInt8(ascii: "o") })
        #expect(result.stderr.count == 3_000_000 && result.stderr.allSatisfy { $0 == UInt8(ascii: "e") })
        #expect(elapsed < .seconds(30), "took \(elapsed)")
    }

    @Test func reportsExitStatusAndSignal() async throws {
        #expect(try await Self.run(["/bin/true"]).termination == .exited(0))
        #expect(try await Self.run(["/bin/sh", "-c", "exit 3"]).termination == .exited(3))
        #expect(try await Self.run(["/bin/sh", "-c", "exit 255"]).status == 255)
        let killed = try await Self.run(["/bin/sh", "-c", "kill -KILL $$"])
        #expect(killed.termination == .signaled(SIGKILL))
        #expect(killed.status == SIGKILL)
    }

    @Test func inputBytesReachTheChild() async throws {
        let input = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let result = try await Self.run(["/bin/cat"], input: input)
        #expect(result.stdout == input)
        let none = try await Self.run(["/bin/cat"])
        #expect(none.stdout.isEmpty && none.termination == .exited(0))
    }

    @Test func timeoutEndsTheChildQuickly() async throws {
        let (result, elapsed) = try await Self.timedRun(["/bin/sleep", "30"], timeout: .milliseconds(300))
        #expect(result.timedOut)
        #expect(result.termination == .signaled(SIGTERM))
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test func environmentIsExactlyTheGivenOne() async throws {
        let result = try await Self.run(["/usr/bin/env"], environment: ["PGTS_A": "1", "PGTS_B": "two words=x"])
        #expect(result.stdoutText.split(separator: "\n").sorted() == ["PGTS_A=1", "PGTS_B=two words=x"])
        let empty = try await Self.run(["/usr/bin/env"], environment: [:])
        #expect(empty.stdout.isEmpty)
    }

    @Test func workingDirectoryIsTheGivenOne() async throws {
        #expect(try await Self.run(["/bin/pwd"], directory: "/").stdoutText == "/\n")
        #expect(try await Self.run(["/bin/pwd"], directory: "/usr/bin").stdoutText == "/usr/bin\n")
    }

    /// Descriptors of ours, close-on-exec or not, stay out of the child: `ls` sees only 0, 1, 2
    /// and the one it opened for the listing.
    @Test func childGetsNoDescriptorBeyondTheStandardOnes() async throws {
        let extra = (0..<8).map { index in open("/dev/null", index % 2 == 0 ? O_RDONLY : O_RDONLY | O_CLOEXEC) }
        defer { for descriptor in extra where descriptor >= 0 { close(descriptor) } }
        #expect(extra.allSatisfy { $0 > 2 })
        let result = try await Self.run(["/bin/ls", "/proc/self/fd"])
        let listed = Set(result.stdoutText.split(separator: "\n").compactMap { Int32($0) })
        #expect(result.termination == .exited(0))
        #expect(listed.isSuperset(of: [0, 1, 2]))
        #expect(listed.subtracting([0, 1, 2]).count <= 1, "\(listed.sorted())")
        #expect(listed.allSatisfy { $0 <= 3 }, "\(listed.sorted())")
    }

    /// The fallback for a C library without `addclosefrom_np` lists the inheritable
    /// descriptors itself (reading `/proc/self/fd` without copying whole names).
    @Test func inheritableDescriptorsAreListed() throws {
        #expect(ChildProcess.closesDescriptorsFromThree, "glibc 2.34+ has posix_spawn_file_actions_addclosefrom_np")
        let inheritable = open("/dev/null", O_RDONLY)
        let closing = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(inheritable)
            close(closing)
        }
        let listed = ChildProcess.inheritableDescriptors
        #expect(listed.contains(inheritable))
        #expect(!listed.contains(closing))
        #expect(listed.allSatisfy { $0 > 2 })
    }

    /// Nothing blocked, nothing ignored: Foundation's children inherited a nearly full mask.
    @Test func childStartsWithNoSignalBlockedOrIgnored() async throws {
        let result = try await Self.run(["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"])
        let lines = result.stdoutText.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.first { $0.first == "SigBlk:" }?.last == "0000000000000000", "\(result.stdoutText)")
        // Signals 1 to 31 (glibc's own 32 and 33 may stay ignored: posix_spawn does that).
        let ignored = lines.first { $0.first == "SigIgn:" }?.last.flatMap { UInt64($0, radix: 16) }
        #expect(ignored.map { $0 & 0x7fff_ffff } == 0, "\(result.stdoutText)")
    }

    @Test func terminateKillAndWait() async throws {
        try await onOwnThread {
            let child = try ChildProcess(["/bin/sleep", "30"], stdout: .null, stderr: .null)
            #expect(child.pid > 0)
            #expect(child.isRunning && child.termination == nil)
            #expect(!child.waitForExit(timeout: .milliseconds(50)))
            child.terminate()
            #expect(child.waitForExit(timeout: .seconds(5)))
            #expect(!child.isRunning)
            #expect(child.termination == .signaled(SIGTERM))
            child.kill()  // ended: does nothing
            #expect(child.waitForExit() == .signaled(SIGTERM))

            let stubborn = try ChildProcess(["/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30"])
            let deadline = ContinuousClock.now + .seconds(10)
            while stubborn.standardOutput.isEmpty && ContinuousClock.now < deadline { usleep(2_000) }
            stubborn.terminate()
            #expect(!stubborn.waitForExit(timeout: .milliseconds(200)))
            stubborn.kill()
            #expect(stubborn.waitForExit(timeout: .seconds(5)))
            #expect(stubborn.termination == .signaled(SIGKILL))
        }
    }

    /// Output shows up while the child runs, before it ends.
    @Test func outputIsReadWhileTheChildRuns() async throws {
        try await onOwnThread {
            let child = try ChildProcess(["/bin/sh", "-c", "echo first; exec sleep 30"])
            let deadline = ContinuousClock.now + .seconds(10)
            while child.standardOutput.isEmpty && ContinuousClock.now < deadline { usleep(2_000) }
            #expect(String(decoding: child.standardOutput, as: UTF8.self) == "first\n")
            #expect(child.isRunning)
            child.kill()
            child.waitForExit()
        }
    }

    /// A process the child leaves behind keeps the pipe open; the run ends anyway, soon after
    /// the child.
    @Test func leftoverGrandchildDoesNotHoldTheRun() async throws {
        let (result, elapsed) = try await Self.timedRun(["/bin/sh", "-c", "sleep 3 & echo done"], timeout: .seconds(20))
        #expect(result.stdoutText == "done\n")
        #expect(!result.timedOut)
        #expect(elapsed < .seconds(2.5), "took \(elapsed)")
    }

    @Test func missingExecutableThrows() async throws {
        #expect(throws: TestServerError.self) {
            _ = try ChildProcess(["/nonexistent/pgts-no-such-program"])
        }
        #expect(throws: TestServerError.self) {
            _ = try ChildProcess([])
        }
    }
}
