import Foundation

#if MPI
    import CMPI
#endif

/// The processes of one data-parallel run and the collective operations the trainer needs from them.
///
/// Every rank holds the whole model; after each backward pass the ranks average their gradients, so every rank
/// takes the same optimizer step. One process is a world of size 1 whose collectives change nothing, so the
/// trainer has one code path:
///
/// ```swift
/// let world = makeWorldCommunicator()  // MPI under `mpirun` when built with the MPI trait, else one process
/// world.allreduceAverage(gradients, count: n)  // g ← (1/N) Σ_r g_r on every rank
/// ```
package protocol Communicator: AnyObject, Sendable {
    /// This process's index, 0..<size; rank 0 alone writes files and prints.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `count` floats at `buffer` on every rank by their sum over the ranks.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Replaces each value by its sum over the ranks.
    func allreduceSum(_ values: [Double]) -> [Double]
    /// Returns when every rank has called it.
    func barrier()
    /// Ends every rank of the run with `code` (a rank that failed: the others would wait for it forever).
    func abort(code: Int32) -> Never
    /// Ends the collective part of the process; call once, after the last collective.
    func finish()
}

extension Communicator {
    /// Replaces `count` floats at `buffer` by their mean over the ranks: `g ← (1/N) Σ_r g_r`.
    package func allreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard size > 1 else { return }
        allreduceSum(buffer, count: count)
        let scale = 1 / Float(size)
        for i in 0..<count { buffer[i] *= scale }
    }

    /// Whether this process is the only one.
    package var isSingle: Bool { size == 1 }
}

/// A world of one process: every collective returns its input.
package final class SingleProcess: Communicator {
    package init() {}
    package var rank: Int { 0 }
    package var size: Int { 1 }
    package func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    package func allreduceSum(_ values: [Double]) -> [Double] { values }
    package func barrier() {}
    package func abort(code: Int32) -> Never { exit(code) }
    package func finish() {}
}

/// The run's processes: MPI's world when the package is built with the MPI trait (size 1 for a plain launch),
/// else a single process.
package func makeWorldCommunicator() -> any Communicator {
    #if MPI
        return MPICommunicator()
    #else
        return SingleProcess()
    #endif
}

#if MPI
    /// `MPI_COMM_WORLD`: initialises MPI on creation; ``finish()`` finalises it.
    package final class MPICommunicator: Communicator {
        package let rank: Int
        package let size: Int

        /// Calls `MPI_Init` and reads this process's rank and the world's size.
        package init() {
            MPI_Init(nil, nil)
            var rank: Int32 = 0
            var size: Int32 = 1
            MPI_Comm_rank(seqkit_mpi_comm_world(), &rank)
            MPI_Comm_size(seqkit_mpi_comm_world(), &size)
            self.rank = Int(rank)
            self.size = Int(size)
        }

        package func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
            // MPI counts are Int32: reduce a larger buffer in pieces.
            var offset = 0
            while offset < count {
                let piece = min(count - offset, Int(Int32.max))
                MPI_Allreduce(
                    seqkit_mpi_in_place(), buffer + offset, Int32(piece), seqkit_mpi_float(), seqkit_mpi_sum(),
                    seqkit_mpi_comm_world())
                offset += piece
            }
        }

        package func allreduceSum(_ values: [Double]) -> [Double] {
            var result = values
            result.withUnsafeMutableBufferPointer { buffer in
                _ = MPI_Allreduce(
                    seqkit_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), seqkit_mpi_double(),
                    seqkit_mpi_sum(), seqkit_mpi_comm_world())
            }
            return result
        }

        package func barrier() { MPI_Barrier(seqkit_mpi_comm_world()) }

        package func abort(code: Int32) -> Never {
            MPI_Abort(seqkit_mpi_comm_world(), code)
            exit(code)
        }

        package func finish() { MPI_Finalize() }
    }
#endif
