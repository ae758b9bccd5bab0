// Fused element-wise kernels for training: recurrent cells (one pass per row per step) and the Adam
// update. Each kernel has an AVX2+FMA version, picked at run time when the CPU has both, and a portable
// scalar version (other CPUs, and the tail of a row that is not a multiple of 8 wide).
#include "CSeqKernels.h"
#include "vector_math.h"

// MARK: Scalar versions (also the reference the vector code must agree with)

static void lstm_forward_scalar(
    long from, long hs, float *gate, const float *rec, const float *c_prev, float *c_next, float *tanh_c, float *h) {
    for (long j = from; j < hs; j++) {
        float i = seqkit_scalar_logistic(gate[j] + rec[j]);
        float f = seqkit_scalar_logistic(gate[hs + j] + rec[hs + j]);
        float g = seqkit_scalar_tanh(gate[2 * hs + j] + rec[2 * hs + j]);
        float o = seqkit_scalar_logistic(gate[3 * hs + j] + rec[3 * hs + j]);
        float c = f * c_prev[j] + i * g;
        float tc = seqkit_scalar_tanh(c);
        gate[j] = i;
        gate[hs + j] = f;
        gate[2 * hs + j] = g;
        gate[3 * hs + j] = o;
        c_next[j] = c;
        tanh_c[j] = tc;
        h[j] = o * tc;
    }
}

static void lstm_backward_scalar(
    long from, long hs, const float *gate, const float *c_prev, const float *tanh_c, const float *dy, const float *dh,
    float *dc, float *d) {
    for (long j = from; j < hs; j++) {
        float i = gate[j], f = gate[hs + j], g = gate[2 * hs + j], o = gate[3 * hs + j];
        float tc = tanh_c[j];
        float dht = dh[j] + dy[j];
        float dct = dc[j] + dht * o * (1.0f - tc * tc);
        d[j] = dct * g * i * (1.0f - i);
        d[hs + j] = dct * c_prev[j] * f * (1.0f - f);
        d[2 * hs + j] = dct * i * (1.0f - g * g);
        d[3 * hs + j] = dht * tc * o * (1.0f - o);
        dc[j] = dct * f;
    }
}

static void gru_forward_scalar(
    long from, long hs, float *gate, const float *rec, const float *bhn, const float *h_prev, float *hn, float *h) {
    for (long j = from; j < hs; j++) {
        float r = seqkit_scalar_logistic(gate[j] + rec[j]);
        float z = seqkit_scalar_logistic(gate[hs + j] + rec[hs + j]);
        float hidden_n = rec[2 * hs + j] + (bhn ? bhn[j] : 0.0f);
        float n = seqkit_scalar_tanh(gate[2 * hs + j] + r * hidden_n);
        gate[j] = r;
        gate[hs + j] = z;
        gate[2 * hs + j] = n;
        hn[j] = hidden_n;
        h[j] = (1.0f - z) * n + z * h_prev[j];
    }
}

static void gru_backward_scalar(
    long from, long hs, const float *gate, const float *hn, const float *h_prev, const float *dy, float *dh, float *di,
    float *dg) {
    for (long j = from; j < hs; j++) {
        float r = gate[j], z = gate[hs + j], n = gate[2 * hs + j];
        float dht = dh[j] + dy[j];
        float dpn = dht * (1.0f - z) * (1.0f - n * n);
        float dpr = dpn * hn[j] * r * (1.0f - r);
        float dpz = dht * (h_prev[j] - n) * z * (1.0f - z);
        di[j] = dpr;
        di[hs + j] = dpz;
        di[2 * hs + j] = dpn;
        dg[j] = dpr;
        dg[hs + j] = dpz;
        dg[2 * hs + j] = dpn * r;
        dh[j] = dht * z;
    }
}

static void adam_scalar(
    long from, long n, float *p, const float *g, float *m, float *v, const struct seqkit_adam_settings *s) {
    for (long i = from; i < n; i++) {
        float grad = g[i] + s->coupled_decay * p[i];
        float pi = p[i] - s->decoupled_decay * p[i];
        float mi = s->beta1 * m[i] + (1.0f - s->beta1) * grad;
        float vi = s->beta2 * v[i] + (1.0f - s->beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - s->learning_rate * (mi * s->correction1) / (sqrtf(vi * s->correction2) + s->epsilon);
    }
}

// MARK: AVX2 + FMA

#if SEQKIT_HAS_AVX2_PATH
#define LD(p) _mm256_loadu_ps(p)
#define ST(p, v) _mm256_storeu_ps(p, v)

static SEQKIT_AVX2 long lstm_forward_avx2(
    long hs, float *gate, const float *rec, const float *c_prev, float *c_next, float *tanh_c, float *h) {
    long j = 0;
    for (; j + 8 <= hs; j += 8) {
        __m256 i = seqkit_v_logistic(_mm256_add_ps(LD(gate + j), LD(rec + j)));
        __m256 f = seqkit_v_logistic(_mm256_add_ps(LD(gate + hs + j), LD(rec + hs + j)));
        __m256 g = seqkit_v_tanh(_mm256_add_ps(LD(gate + 2 * hs + j), LD(rec + 2 * hs + j)));
        __m256 o = seqkit_v_logistic(_mm256_add_ps(LD(gate + 3 * hs + j), LD(rec + 3 * hs + j)));
        __m256 c = _mm256_fmadd_ps(f, LD(c_prev + j), _mm256_mul_ps(i, g));
        __m256 tc = seqkit_v_tanh(c);
        ST(gate + j, i);
        ST(gate + hs + j, f);
        ST(gate + 2 * hs + j, g);
        ST(gate + 3 * hs + j, o);
        ST(c_next + j, c);
        ST(tanh_c + j, tc);
        ST(h + j, _mm256_mul_ps(o, tc));
    }
    return j;
}

static SEQKIT_AVX2 long lstm_backward_avx2(
    long hs, const float *gate, const float *c_prev, const float *tanh_c, const float *dy, const float *dh, float *dc,
    float *d) {
    __m256 one = seqkit_splat(1.0f);
    long j = 0;
    for (; j + 8 <= hs; j += 8) {
        __m256 i = LD(gate + j), f = LD(gate + hs + j), g = LD(gate + 2 * hs + j), o = LD(gate + 3 * hs + j);
        __m256 tc = LD(tanh_c + j);
        __m256 dht = _mm256_add_ps(LD(dh + j), LD(dy + j));
        __m256 dct = _mm256_fmadd_ps(
            _mm256_mul_ps(dht, o), _mm256_fnmadd_ps(tc, tc, one), LD(dc + j));
        ST(d + j, _mm256_mul_ps(_mm256_mul_ps(dct, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i))));
        ST(d + hs + j,
           _mm256_mul_ps(_mm256_mul_ps(dct, LD(c_prev + j)), _mm256_mul_ps(f, _mm256_sub_ps(one, f))));
        ST(d + 2 * hs + j, _mm256_mul_ps(_mm256_mul_ps(dct, i), _mm256_fnmadd_ps(g, g, one)));
        ST(d + 3 * hs + j, _mm256_mul_ps(_mm256_mul_ps(dht, tc), _mm256_mul_ps(o, _mm256_sub_ps(one, o))));
        ST(dc + j, _mm256_mul_ps(dct, f));
    }
    return j;
}

static SEQKIT_AVX2 long gru_forward_avx2(
    long hs, float *gate, const float *rec, const float *bhn, const float *h_prev, float *hn, float *h) {
    __m256 one = seqkit_splat(1.0f);
    long j = 0;
    for (; j + 8 <= hs; j += 8) {
        __m256 r = seqkit_v_logistic(_mm256_add_ps(LD(gate + j), LD(rec + j)));
        __m256 z = seqkit_v_logistic(_mm256_add_ps(LD(gate + hs + j), LD(rec + hs + j)));
        __m256 hidden_n = LD(rec + 2 * hs + j);
        if (bhn) hidden_n = _mm256_add_ps(hidden_n, LD(bhn + j));
        __m256 n = seqkit_v_tanh(_mm256_fmadd_ps(r, hidden_n, LD(gate + 2 * hs + j)));
        ST(gate + j, r);
        ST(gate + hs + j, z);
        ST(gate + 2 * hs + j, n);
        ST(hn + j, hidden_n);
        ST(h + j, _mm256_fmadd_ps(_mm256_sub_ps(one, z), n, _mm256_mul_ps(z, LD(h_prev + j))));
    }
    return j;
}

static SEQKIT_AVX2 long gru_backward_avx2(
    long hs, const float *gate, const float *hn, const float *h_prev, const float *dy, float *dh, float *di,
    float *dg) {
    __m256 one = seqkit_splat(1.0f);
    long j = 0;
    for (; j + 8 <= hs; j += 8) {
        __m256 r = LD(gate + j), z = LD(gate + hs + j), n = LD(gate + 2 * hs + j);
        __m256 dht = _mm256_add_ps(LD(dh + j), LD(dy + j));
        __m256 dpn = _mm256_mul_ps(_mm256_mul_ps(dht, _mm256_sub_ps(one, z)), _mm256_fnmadd_ps(n, n, one));
        __m256 dpr = _mm256_mul_ps(_mm256_mul_ps(dpn, LD(hn + j)), _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
        __m256 dpz = _mm256_mul_ps(
            _mm256_mul_ps(dht, _mm256_sub_ps(LD(h_prev + j), n)), _mm256_mul_ps(z, _mm256_sub_ps(one, z)));
        ST(di + j, dpr);
        ST(di + hs + j, dpz);
        ST(di + 2 * hs + j, dpn);
        ST(dg + j, dpr);
        ST(dg + hs + j, dpz);
        ST(dg + 2 * hs + j, _mm256_mul_ps(dpn, r));
        ST(dh + j, _mm256_mul_ps(dht, z));
    }
    return j;
}

static SEQKIT_AVX2 long adam_avx2(
    long n, float *p, const float *g, float *m, float *v, const struct seqkit_adam_settings *s) {
    __m256 coupled = seqkit_splat(s->coupled_decay), keep = seqkit_splat(1.0f - s->decoupled_decay);
    __m256 b1 = seqkit_splat(s->beta1), b2 = seqkit_splat(s->beta2);
    __m256 a1 = seqkit_splat(1.0f - s->beta1), a2 = seqkit_splat(1.0f - s->beta2);
    __m256 lr = seqkit_splat(s->learning_rate), c1 = seqkit_splat(s->correction1), c2 = seqkit_splat(s->correction2);
    __m256 eps = seqkit_splat(s->epsilon);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 pi = LD(p + i);
        __m256 grad = _mm256_fmadd_ps(coupled, pi, LD(g + i));
        __m256 mi = _mm256_fmadd_ps(b1, LD(m + i), _mm256_mul_ps(a1, grad));
        __m256 vi = _mm256_fmadd_ps(b2, LD(v + i), _mm256_mul_ps(_mm256_mul_ps(a2, grad), grad));
        ST(m + i, mi);
        ST(v + i, vi);
        __m256 denom = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, c2)), eps);
        __m256 stepv = _mm256_div_ps(_mm256_mul_ps(lr, _mm256_mul_ps(mi, c1)), denom);
        ST(p + i, _mm256_sub_ps(_mm256_mul_ps(pi, keep), stepv));
    }
    return i;
}
#endif

// MARK: Entry points

void seqkit_lstm_forward_row(
    long hs, float *gate, const float *rec, const float *c_prev, float *c_next, float *tanh_c, float *h) {
    long done = SEQKIT_VECTOR(lstm_forward_avx2(hs, gate, rec, c_prev, c_next, tanh_c, h));
    lstm_forward_scalar(done, hs, gate, rec, c_prev, c_next, tanh_c, h);
}

void seqkit_lstm_backward_row(
    long hs, const float *gate, const float *c_prev, const float *tanh_c, const float *dy, const float *dh, float *dc,
    float *d) {
    long done = SEQKIT_VECTOR(lstm_backward_avx2(hs, gate, c_prev, tanh_c, dy, dh, dc, d));
    lstm_backward_scalar(done, hs, gate, c_prev, tanh_c, dy, dh, dc, d);
}

void seqkit_gru_forward_row(
    long hs, float *gate, const float *rec, const float *bhn, const float *h_prev, float *hn, float *h) {
    long done = SEQKIT_VECTOR(gru_forward_avx2(hs, gate, rec, bhn, h_prev, hn, h));
    gru_forward_scalar(done, hs, gate, rec, bhn, h_prev, hn, h);
}

void seqkit_gru_backward_row(
    long hs, const float *gate, const float *hn, const float *h_prev, const float *dy, float *dh, float *di,
    float *dg) {
    long done = SEQKIT_VECTOR(gru_backward_avx2(hs, gate, hn, h_prev, dy, dh, di, dg));
    gru_backward_scalar(done, hs, gate, hn, h_prev, dy, dh, di, dg);
}

void seqkit_adam_update(
    long n, float *p, const float *g, float *m, float *v, const struct seqkit_adam_settings *settings) {
    long done = SEQKIT_VECTOR(adam_avx2(n, p, g, m, v, settings));
    adam_scalar(done, n, p, g, m, v, settings);
}

int seqkit_vector_kernels(void) { return (int)SEQKIT_VECTOR(1); }
