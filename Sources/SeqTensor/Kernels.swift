/// Forward/backward kernel pairs over flat buffers.
///
/// Conventions: outputs first; a backward kernel accumulates (`+=`) into the gradients it is given,
/// so a value used twice sums its gradients; no allocation inside a kernel's loops; index arithmetic
/// wraps (`&+`, `&*`) because sizes are checked once at the top.
package enum Kernels {}
