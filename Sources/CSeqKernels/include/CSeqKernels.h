#ifndef CSEQKERNELS_H
#define CSEQKERNELS_H

/// Sets flush-to-zero and denormals-are-zero for the calling thread (x86 MXCSR, arm64 FPCR.FZ),
/// so tiny gradients late in training do not fall onto the slow denormal path.
void seqkit_flush_denormals_to_zero(void);

/// The calling thread's floating-point control word (x86 MXCSR, arm64 FPCR), to restore later.
unsigned long long seqkit_fp_control(void);

/// Restores a control word saved by seqkit_fp_control.
void seqkit_set_fp_control(unsigned long long state);

/// Returns 1 when the calling thread flushes denormals to zero, 0 otherwise.
int seqkit_flushes_denormals(void);

/// LSTM cell forward over one row of H units (gates i, f, g, o stacked, PyTorch's order). `gate` (4H) holds the
/// input projection (biases folded in) and receives the activations σ(i), σ(f), tanh(g), σ(o); `rec` (4H) is
/// the hidden projection h_{t−1} W_hhᵀ; writes c_t to `c_next`, tanh(c_t) to `tanh_c` and h_t to `h` (each H).
void seqkit_lstm_forward_row(
    long hs, float *gate, const float *rec, const float *c_prev, float *c_next, float *tanh_c, float *h);

/// LSTM cell backward over one row: from the saved activations, c_{t−1}, tanh(c_t) and the output gradient
/// `dy`, turns `dh` (gradient into h_t from step t + 1, in) and `dc` (into c_t, in; into c_{t−1}, out)
/// and writes the gate pre-activation gradients `d` (4H). `dh` is read only.
void seqkit_lstm_backward_row(
    long hs, const float *gate, const float *c_prev, const float *tanh_c, const float *dy, const float *dh, float *dc,
    float *d);

/// GRU cell forward over one row (gates r, z, n): `gate` (3H) holds the input projection with b_ih, b_hr,
/// b_hz folded in and receives σ(r), σ(z), n; `rec` (3H) is h_{t−1} W_hhᵀ; `bhn` (H) the n part of b_hh or
/// NULL. Writes W_hn h + b_hn to `hn` and h_t to `h`.
void seqkit_gru_forward_row(
    long hs, float *gate, const float *rec, const float *bhn, const float *h_prev, float *hn, float *h);

/// GRU cell backward over one row: writes the input-side gate gradients `di` (3H) and hidden-side `dg` (3H),
/// and replaces `dh` (in: into h_t from step t + 1) with the direct path into h_{t−1}, dh·z.
void seqkit_gru_backward_row(
    long hs, const float *gate, const float *hn, const float *h_prev, const float *dy, float *dh, float *di,
    float *dg);

/// Settings of one Adam(W) update: `p = p − decoupled_decay·p`, `g += coupled_decay·p` (the p before decay),
/// `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`, `p −= lr·(m·correction1)/(√(v·correction2) + ε)`.
struct seqkit_adam_settings {
    float learning_rate;
    float beta1;
    float beta2;
    float epsilon;
    float correction1;
    float correction2;
    float coupled_decay;
    float decoupled_decay;
};

/// One Adam(W) update of `n` parameters `p` from gradients `g`, moments `m`, `v` updated in place.
void seqkit_adam_update(
    long n, float *p, const float *g, float *m, float *v, const struct seqkit_adam_settings *settings);

/// `y = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (GELU, tanh approximation: GPT-2, `approximate="tanh"`) for
/// `n` elements.
void seqkit_gelu(long n, float *y, const float *x);

/// `dx += dy · gelu'(x)` for `n` elements, from the forward input `x`.
void seqkit_gelu_backward(long n, float *dx, const float *dy, const float *x);

/// `y = x·Φ(x) = ½x(1 + erf(x/√2))` (exact GELU, PyTorch's `nn.GELU()`) for `n` elements, within about 3e-7
/// relative, the negative tail included (Φ there comes from erfc, not from 1 + erf).
void seqkit_gelu_exact(long n, float *y, const float *x);

/// `dx += dy · (Φ(x) + x·φ(x))` (the exact GELU's derivative) for `n` elements, from the forward input `x`.
void seqkit_gelu_exact_backward(long n, float *dx, const float *dy, const float *x);

/// `y = erf(x)` for `n` elements, within about 2e-7 relative (the approximation the exact GELU uses).
void seqkit_erf(long n, float *y, const float *x);

/// The portable versions of seqkit_gelu_exact, seqkit_gelu_exact_backward and seqkit_erf, which run on CPUs
/// without AVX2+FMA and for the tail past a multiple of 8, over all `n` elements (so tests can hold the
/// vector versions to them on any CPU).
void seqkit_gelu_exact_portable(long n, float *y, const float *x);
void seqkit_gelu_exact_backward_portable(long n, float *dx, const float *dy, const float *x);
void seqkit_erf_portable(long n, float *y, const float *x);

/// `y = tanh(x)` for `n` elements (within about 3e-7 relative).
void seqkit_tanh(long n, float *y, const float *x);

/// `y = 1 / (1 + e^−x)` for `n` elements.
void seqkit_sigmoid(long n, float *y, const float *x);

/// Writes `y[i] = e^(x[i] − shift)` (unless `y` is NULL) and returns their sum; a term below float range
/// (an −∞ logit) is exactly 0.
float seqkit_exp_sum(long n, float *y, const float *x, float shift);

/// `dx[i] += scale · e^(x[i] − shift)` (the softmax part of a cross-entropy gradient).
void seqkit_add_scaled_exp(long n, float *dx, const float *x, float shift, float scale);

/// 1 when the kernels above run their AVX2+FMA versions on this CPU, 0 for the portable ones.
int seqkit_vector_kernels(void);

#include "team.h"
#include "decode.h"

#include "recurrent_kernels.h"
#endif
