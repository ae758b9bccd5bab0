import Foundation
import Synchronization

/// Ctrl-C during training: the first SIGINT asks the loop to save a checkpoint at the next step
/// boundary and stop; a second one ends the process at once (the last checkpoint on disk stays intact).
enum Interrupt {
    static let requested = Atomic<Bool>(false)

    /// Installs the handler.
    static func install() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in
            if Interrupt.requested.exchange(true, ordering: .relaxed) { _exit(130) }
        }
        // A parent may have started us with SIGINT blocked (Foundation's Process passes its mask on).
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Puts back the default handler.
    static func uninstall() { signal(SIGINT, SIG_DFL) }

    /// True once Ctrl-C was pressed.
    static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
