import Foundation
import SeqCheckpoint
import Synchronization

/// Ctrl-C, `kill`, a batch scheduler's shutdown or a closed terminal during training: the first SIGINT,
/// SIGTERM or SIGHUP asks the loop to save a checkpoint at the next step boundary and stop with exit status 0;
/// a second one ends the process at once (the last checkpoint on disk stays intact). Schedulers (Slurm,
/// Kubernetes, `mpirun`) send SIGTERM and SIGKILL after a grace period, so SIGTERM must save like Ctrl-C.
enum Interrupt {
    /// The signal that asked to stop, 0 while none has.
    static let requested = Atomic<Int32>(0)

    /// The signals that stop a run gracefully.
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handler for every signal of ``signals``.
    static func install() {
        requested.store(0, ordering: .relaxed)
        for number in signals {
            signal(number) { received in
                let (exchanged, _) = Interrupt.requested.compareExchange(
                    expected: 0, desired: received, ordering: .relaxed)
                if !exchanged { _exit(128 + received) }
            }
        }
        // A parent may have started us with these signals blocked (Foundation's Process passes its mask on).
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Puts back the default handlers.
    static func uninstall() {
        for number in signals { signal(number, SIG_DFL) }
    }

    /// True once a stopping signal arrived.
    static var isRequested: Bool { requested.load(ordering: .relaxed) != 0 }

    /// The name of the signal that arrived (`"Ctrl-C"`, `"SIGTERM"`, `"SIGHUP"`), nil if none did.
    static var signalName: String? {
        switch requested.load(ordering: .relaxed) {
        case 0: nil
        case SIGINT: "Ctrl-C (SIGINT)"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case let other: "signal \(other)"
        }
    }
}
