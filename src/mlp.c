/* MLP kernels. Parallel axes: the forward pass over (output block, row chunk) pairs, the input gradient over
 * (input block, row chunk) pairs, the weight gradient over (input block, output chunk) pairs, the loss over
 * blocks of rows; each value is written by one thread and summed in a fixed order by the same multiply-add on
 * every code path, so the results are bitwise the same for any thread count and any tiling. No float reduction
 * crosses threads. One parallel region per pass, none at all for a pass below the serial threshold. A training
 * step of a model with one hidden layer that is big enough is instead the chunked step (one region): threads
 * own fixed chunks of hidden units from the forward pass to the update, and the logits add the chunks'
 * partial sums in chunk order. */
#include "mlp.h"
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Below this many multiply-adds in a whole forward or backward pass it runs on the calling thread. Measured
 * (make bench, "Serial threshold"): a two-thread region and its barriers cost some 10 us on this VM, so a
 * second thread pays from about a million multiply-adds; the threshold sits a few times higher because a team
 * member that the OS deschedules (a shared machine) stalls every barrier for a time slice, and a pass that
 * small is not worth that risk. */
#ifndef MLP_PARALLEL_MIN_WORK
#define MLP_PARALLEL_MIN_WORK (1L << 22)
#endif

/* Hidden units per chunk of the chunked step: a multiple of every tile width, small enough that a 512-unit
 * layer shares out evenly among a few threads. Fixed, so the chunks (and the bits) do not depend on threads. */
enum { HCHUNK = 64 };

/* Parameters below which the update of the unchunked step stays on the calling thread: entering even a
 * one-thread parallel region costs libgomp a few microseconds, as much as a small model's whole update. */
enum { UPDATE_PARALLEL_MIN = 65536 };

static void *alloc_floats(size_t n, size_t elem)
{
    size_t bytes = n * elem;
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes ? bytes : 64);
    return p;
}

int mlp_output_units(mlp_output out, int nclasses)
{
    return (out == MLP_OUT_SIGMOID && nclasses == 2) ? 1 : nclasses;
}

int mlp_init(mlp *net, int nin, const int *hidden, int nhidden, int nout, mlp_activation act, mlp_output out,
             int max_rows)
{
    memset(net, 0, sizeof *net);
    if (nhidden < 0 || nhidden + 1 > MLP_MAX_LAYERS || max_rows < 1)
        return -1;
    net->nlayers = nhidden + 1;
    net->size[0] = nin;
    for (int k = 0; k < nhidden; k++)
        net->size[k + 1] = hidden[k];
    net->size[net->nlayers] = nout;
    net->act = act;
    net->out = out;
    net->max_rows = max_rows;

    size_t np = 0;
    for (int k = 0; k < net->nlayers; k++)
        np += (size_t)net->size[k + 1] * (size_t)net->size[k] + (size_t)net->size[k + 1];
    net->nparams = np;
    net->params = alloc_floats(np, sizeof(float));
    net->grads = alloc_floats(np, sizeof(float));
    net->loss = alloc_floats((size_t)max_rows, sizeof(double));
    net->correct = alloc_floats((size_t)max_rows, 1);
    int ok = net->params && net->grads && net->loss && net->correct;

    size_t off = 0;
    for (int k = 0; k < net->nlayers; k++) {
        size_t nw = (size_t)net->size[k + 1] * (size_t)net->size[k];
        net->w[k] = net->params + off;
        net->gw[k] = net->grads + off;
        off += nw;
        net->b[k] = net->params + off;
        net->gb[k] = net->grads + off;
        off += (size_t)net->size[k + 1];
    }
    for (int k = 1; k <= net->nlayers && ok; k++) {
        size_t n = (size_t)max_rows * (size_t)net->size[k];
        net->a[k] = alloc_floats(n, sizeof(float));
        net->d[k] = alloc_floats(n, sizeof(float));
        ok = net->a[k] && net->d[k];
        if (ok && k < net->nlayers)
            ok = (net->h[k] = alloc_floats(n, sizeof(float))) != NULL;
    }
    if (ok && net->nlayers == 2) {
        /* mlp_chunked_floats counts these */
        size_t H = (size_t)net->size[1], OUT = (size_t)nout, chunks = (H + HCHUNK - 1) / HCHUNK;
        net->part = alloc_floats(chunks * (size_t)max_rows * OUT, sizeof(float));
        net->w2c = alloc_floats(H * OUT, sizeof(float));
        net->g2c = alloc_floats(H * OUT, sizeof(float));
        net->zero = alloc_floats(OUT, sizeof(float));
        ok = net->part && net->w2c && net->g2c && net->zero;
    }
    if (!ok) {
        mlp_free(net);
        return -1;
    }
    return 0;
}

void mlp_free(mlp *net)
{
    free(net->params);
    free(net->grads);
    free(net->loss);
    free(net->correct);
    free(net->part);
    free(net->w2c);
    free(net->g2c);
    free(net->zero);
    free(net->xt);
    free(net->yt);
    for (int k = 0; k <= MLP_MAX_LAYERS; k++) {
        free(net->a[k]);
        free(net->d[k]);
        if (k < MLP_MAX_LAYERS)
            free(net->h[k]);
    }
    memset(net, 0, sizeof *net);
}

void mlp_randomize(mlp *net, mlp_init_kind kind, rng *r)
{
    for (int k = 0; k < net->nlayers; k++) {
        int in = net->size[k], out = net->size[k + 1];
        size_t nw = (size_t)in * (size_t)out;
        double xavier = sqrt(6.0 / (in + out)), he = sqrt(2.0 / in);
        for (size_t i = 0; i < nw; i++) {
            double v = kind == MLP_INIT_NORMAL ? rng_normal(r)
                     : kind == MLP_INIT_XAVIER ? (2.0 * rng_uniform(r) - 1.0) * xavier
                     : rng_normal(r) * he;
            net->w[k][i] = (float)v;
        }
        for (int o = 0; o < out; o++)
            net->b[k][o] = kind == MLP_INIT_NORMAL ? (float)rng_normal(r) : 0.0f;
    }
}

/* ---- linear layer ---------------------------------------------------------------------------------------- */

/* The fast kernels are register-blocked: a tile of TM rows x TN columns of the result stays in vector
 * registers while the reduction index runs. Columns are the vectorised axis (the compiler vectorises the
 * TN-wide loops for the host ISA), never the reduction index, so every value is one chain of multiply-adds in
 * index order, whatever tile, thread or code path computes it. */
#if defined(__AVX512F__)
enum { VEC = 16, TM = 8 }; /* 32 vector registers: 16 accumulators */
#elif defined(__AVX__)
enum { VEC = 8, TM = 6 };  /* 16 vector registers: 12 accumulators, the rest for the operands */
#else
enum { VEC = 4, TM = 6 };
#endif
enum {
    TN = 2 * VEC, /* columns of a tile: two vector registers wide, TM rows tall */
    TMAX = 12,    /* rows of a one-vector tile (narrow layers): no more than the L1's ways (rows 4 KiB apart
                     share a set) */
    KC = 256      /* reduction steps per packed panel: KC x TN floats on the stack, within L1 */
};
_Static_assert((int)TM <= (int)TMAX, "tile_rows has a case for every height up to TMAX");

/* One rounding where the host has FMA, two where it does not; the same everywhere in the fast kernels. */
#ifdef __FMA__
#define MADD(a, b, c) fmaf(a, b, c)
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

static inline int imin(int a, int b) { return a < b ? a : b; }

/* exp(t) for t <= 0 (NaN stays NaN): t = n ln2 + r with |r| <= ln2/2 (Cody-Waite: n ln2 in two parts, the
 * first exact) and Cephes' polynomial for exp(r); within 1 ulp of exp for every float from -87 to 0, and 0
 * below, where the result would leave the normal floats. Straight-line arithmetic, so the compiler vectorises
 * it: glibc's vector expf needs -ffast-math, which the NaN checks forbid. */
static inline float exp_nonpos(float t)
{
    float u = t >= -87.0f ? t : -87.0f; /* NaN -> -87: keeps n and the shift below defined */
    float n = MADD(u, 1.44269504088896341f, 12582912.0f) - 12582912.0f; /* round to nearest: 1.5 * 2^23 */
    float r = MADD(n, -0.693359375f, u);
    r = MADD(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = MADD(p, r, 1.3981999507e-3f);
    p = MADD(p, r, 8.3334519073e-3f);
    p = MADD(p, r, 4.1665795894e-2f);
    p = MADD(p, r, 1.6666665459e-1f);
    p = MADD(p, r, 5.0000001201e-1f);
    p = MADD(p, r * r, r) + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23; /* 2^n, n in -126..0 */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return t < -87.0f ? 0.0f : p * scale + (t - t); /* t - t: 0, or NaN for NaN */
}

/* log(s) for 1 <= s < 2^126 (NaN stays NaN): s = 2^e f with f in [sqrt(1/2), sqrt(2)), log f = 2 atanh(t) with
 * t = (f - 1) / (f + 1), |t| <= 0.172, by its series to t^9 (the next term is below 2^-28 of the sum), and
 * e ln 2 in two parts, the first exact. Within 3 ulp of log for every float from 1 to 70000 (checked once
 * exhaustively; the loss is tested against double); straight-line arithmetic, so it stays inline where libm's
 * logf is a call per row. */
static inline float log_ge1(float s)
{
    uint32_t bits;
    memcpy(&bits, &s, sizeof bits);
    int e = (int)(bits >> 23) - 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u;
    float f;
    memcpy(&f, &bits, sizeof f);
    int big = f > 1.41421356f;
    f = big ? 0.5f * f : f;
    e += big;
    float t = (f - 1.0f) / (f + 1.0f), t2 = t * t;
    float p = MADD(t2, 0.222222222f, 0.285714286f); /* 2/9, 2/7 */
    p = MADD(p, t2, 0.4f);
    p = MADD(p, t2, 0.666666667f);
    p = MADD(p, t2, 2.0f);
    float ef = (float)e;
    return MADD(ef, 0.693145751953125f, MADD(ef, 1.428606820309417e-6f, t * p)) + (s - s);
}

/* Sigmoid that cannot overflow: exp only ever sees a non-positive argument. */
static inline float sigmoidf(float x)
{
    float e = exp_nonpos(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return x >= 0 ? s : e * s;
}

/* h (n) = act(a) */
static inline void activate(float *restrict h, const float *restrict a, int n, mlp_activation act)
{
    if (act == MLP_SIGMOID) {
        #pragma omp simd
        for (int j = 0; j < n; j++)
            h[j] = sigmoidf(a[j]);
    } else if (act == MLP_TANH) {
        for (int j = 0; j < n; j++)
            h[j] = tanhf(a[j]);
    } else {
        #pragma omp simd
        for (int j = 0; j < n; j++)
            h[j] = a[j] > 0 ? a[j] : 0;
    }
}

/* d (n) = s * act'(a), from h = act(a) where the derivative is cheaper from it */
static inline void activate_grad(float *restrict d, const float *restrict s, const float *restrict a,
                                 const float *restrict h, int n, mlp_activation act)
{
    if (act == MLP_SIGMOID) {
        #pragma omp simd
        for (int j = 0; j < n; j++)
            d[j] = s[j] * (h[j] * (1 - h[j]));
    } else if (act == MLP_TANH) {
        #pragma omp simd
        for (int j = 0; j < n; j++)
            d[j] = s[j] * (1 - h[j] * h[j]);
    } else {
        #pragma omp simd
        for (int j = 0; j < n; j++)
            d[j] = s[j] * (a[j] > 0 ? 1.0f : 0.0f);
    }
}

/* GCC turns copy loops into calls to libc's memcpy, which cost more than these short copies; the two helpers
 * below keep len a constant and the copy masked, so they stay a few vector moves. */

/* dst (n) = src (n) for n <= len. */
static inline __attribute__((always_inline)) void copy_prefix(float *restrict dst, const float *restrict src, int n,
                                                              int len)
{
    if (n == len)
        memcpy(dst, src, (size_t)len * sizeof *dst);
    else
        for (int j = 0; j < len; j++)
            if (j < n)
                dst[j] = src[j];
}

/* dst (len) = src (n <= len), then zeros. */
static inline __attribute__((always_inline)) void copy_padded(float *restrict dst, const float *restrict src, int n,
                                                              int len)
{
    if (n < len)
        for (int j = 0; j < len; j++)
            dst[j] = 0;
    copy_prefix(dst, src, n, len);
}

/* GCC does not vectorise a transpose (it moves one float at a time), so the 8 x 8 blocks of pack_transposed
 * go through its generic vectors: __builtin_shuffle becomes the host's shuffles (or plain moves where it has
 * none). Three rounds of pairwise interleaving turn rows into columns. */
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline void transpose8(v8f r[8])
{
    v8f t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shuffle(r[i], r[i + 1], (v8i){0, 8, 1, 9, 4, 12, 5, 13});
        t[i + 1] = __builtin_shuffle(r[i], r[i + 1], (v8i){2, 10, 3, 11, 6, 14, 7, 15});
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; h++) {
            u[i + 2 * h] = __builtin_shuffle(t[i + h], t[i + h + 2], (v8i){0, 1, 8, 9, 4, 5, 12, 13});
            u[i + 2 * h + 1] = __builtin_shuffle(t[i + h], t[i + h + 2], (v8i){2, 3, 10, 11, 6, 7, 14, 15});
        }
    for (int i = 0; i < 4; i++) {
        r[i] = __builtin_shuffle(u[i], u[i + 4], (v8i){0, 1, 2, 3, 8, 9, 10, 11});
        r[i + 4] = __builtin_shuffle(u[i], u[i + 4], (v8i){4, 5, 6, 7, 12, 13, 14, 15});
    }
}

/* p (kc, n) = the first kc columns of w (rows, ld) transposed, zero in the columns from rows to n. */
static void pack_transposed(float *restrict p, int n, const float *restrict w, size_t ld, int rows, int kc)
{
    int j = 0;
    for (; j + 8 <= rows; j += 8) {
        int k = 0;
        for (; k + 8 <= kc; k += 8) {
            v8f r[8];
            for (int i = 0; i < 8; i++)
                memcpy(&r[i], w + (j + i) * ld + k, sizeof r[i]);
            transpose8(r);
            for (int i = 0; i < 8; i++)
                memcpy(p + (k + i) * n + j, &r[i], sizeof r[i]);
        }
        for (; k < kc; k++)
            for (int i = 0; i < 8; i++)
                p[k * n + j + i] = w[(j + i) * ld + k];
    }
    for (; j < rows; j++)
        for (int k = 0; k < kc; k++)
            p[k * n + j] = w[j * ld + k];
    for (; j < n; j++)
        for (int k = 0; k < kc; k++)
            p[k * n + j] = 0;
}

/* c (m, n) += a (m, kc) p (kc, n), where a[i][k] sits at a[i * lda + k * ldk] and p[k][j] at p[k * ldp + j].
 * m and n are constants at every call, so each call site gets its own fully unrolled copy with c in
 * registers: m rows of n / VEC vectors. */
static inline __attribute__((always_inline)) void tile_madd(float *restrict c, const float *restrict a, size_t lda,
                                                            size_t ldk, const float *restrict p, size_t ldp, int kc,
                                                            int m, int n)
{
    /* the first step reads c and the last writes it, so no copy of the tile stands apart (GCC would make it a
     * memcpy call); every value is still one multiply-add per k in order */
    float acc[TMAX][TN];
    for (int i = 0; i < m; i++) {
        float x = a[i * lda];
        #pragma omp simd
        for (int j = 0; j < n; j++)
            acc[i][j] = MADD(x, p[j], c[i * n + j]);
    }
    for (int k = 1; k < kc - 1; k++)
        for (int i = 0; i < m; i++) {
            float x = a[i * lda + k * ldk];
            #pragma omp simd
            for (int j = 0; j < n; j++)
                acc[i][j] = MADD(x, p[k * ldp + j], acc[i][j]);
        }
    if (kc == 1)
        for (int i = 0; i < m; i++) {
            #pragma omp simd
            for (int j = 0; j < n; j++)
                c[i * n + j] = acc[i][j];
        }
    else
        for (int i = 0; i < m; i++) {
            float x = a[i * lda + (kc - 1) * ldk];
            #pragma omp simd
            for (int j = 0; j < n; j++)
                c[i * n + j] = MADD(x, p[(kc - 1) * ldp + j], acc[i][j]);
        }
}

/* c (m, n) += a (m, kc) p (kc, n) for 1 <= m <= TMAX: a copy of the tile for each height, so that a short tile
 * also loads p once for all its rows. */
static inline __attribute__((always_inline)) void tile_rows(float *restrict c, const float *restrict a, size_t lda,
                                                            size_t ldk, const float *restrict p, size_t ldp, int kc,
                                                            int m, int n)
{
    switch (m) {
#define TILE_CASE(M)                                                                                               \
    case M:                                                                                                        \
        tile_madd(c, a, lda, ldk, p, ldp, kc, M, n);                                                               \
        break;
        TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4) TILE_CASE(5) TILE_CASE(6) TILE_CASE(7) TILE_CASE(8)
        TILE_CASE(9) TILE_CASE(10) TILE_CASE(11) TILE_CASE(12)
#undef TILE_CASE
    }
}

/* Row blocks of a B-row pass on the calling team: one per thread when each gets a few tiles, so that a thread
 * keeps the same rows from layer to layer and reads back the activations it wrote itself (on this VM,
 * rewriting or reading a buffer that another core touched last takes about twice as long); else one. */
static int row_blocks(int B, int tm)
{
    int nt = omp_get_num_threads();
    return B >= 2 * tm * nt ? nt : 1;
}

/* One work item of forward_blocks: rows of row block item / nob, outputs of block item % nob. */
static inline __attribute__((always_inline)) void forward_item(int item, int nob, int rows, float *a, float *h,
                                                               mlp_activation act, const float *in, const float *w,
                                                               const float *b, int B, int IN, int OUT, int n,
                                                               int tm)
{
    int r0 = item / nob * rows, r1 = imin(B, r0 + rows);
    int o0 = item % nob * n, no = imin(n, OUT - o0);
    float pack[KC * TN], tile[TMAX * TN], bias[TN];
    copy_padded(bias, b + o0, no, n);
    for (int k0 = 0; k0 < IN; k0 += KC) {
        int kc = imin(KC, IN - k0), last = k0 + kc == IN;
        pack_transposed(pack, n, w + (size_t)o0 * IN + k0, (size_t)IN, no, kc);
        for (int r = r0; r < r1; r += tm) {
            int m = imin(tm, r1 - r);
            for (int i = 0; i < m; i++)
                if (k0 == 0)
                    memset(tile + i * n, 0, (size_t)n * sizeof *tile);
                else
                    copy_padded(tile + i * n, a + (size_t)(r + i) * OUT + o0, no, n);
            tile_rows(tile, in + (size_t)r * IN + k0, (size_t)IN, 1, pack, (size_t)n, kc, m, n);
            for (int i = 0; i < m; i++) {
                float *ar = a + (size_t)(r + i) * OUT + o0, *t = tile + i * n;
                if (last) {
                    /* bias and activation from the tile on the stack: a and h are only written */
                    for (int j = 0; j < n; j++)
                        t[j] += bias[j];
                    if (h)
                        activate(h + (size_t)(r + i) * OUT + o0, t, no, act);
                }
                copy_prefix(ar, t, no, n);
            }
        }
    }
}

/* forward_layer for output blocks of n columns and row tiles of tm rows (constants). team: shared out by an
 * orphaned omp for among the calling team; else every item on the calling thread, in one row block. */
static inline __attribute__((always_inline)) void forward_blocks(float *a, float *h, mlp_activation act,
                                                                 const float *in, const float *w, const float *b,
                                                                 int B, int IN, int OUT, int n, int tm, int team)
{
    int nob = (OUT + n - 1) / n, nrb = team ? row_blocks(B, tm) : 1, rows = (B + nrb - 1) / nrb;
    if (team) {
        #pragma omp for schedule(static)
        for (int item = 0; item < nrb * nob; item++)
            forward_item(item, nob, rows, a, h, act, in, w, b, B, IN, OUT, n, tm);
    } else
        for (int item = 0; item < nob; item++)
            forward_item(item, nob, rows, a, h, act, in, w, b, B, IN, OUT, n, tm);
}

/* in (B, IN), w (OUT, IN), b (OUT) -> a (B, OUT) = in w^T + b, and h (B, OUT) = act(a) unless h is NULL.
 * Work items are (row block, output block) pairs, row block outermost, shared out by an orphaned omp for:
 * inside a parallel region each thread takes its own run of them (its rows), outside one the caller does them
 * all.
 * Each item packs its block of w transposed, KC inputs at a time, on its stack (no allocation); partial sums
 * wait in a between panels. Narrow layers (a classifier's few outputs) take blocks of one vector and taller
 * row tiles, so fewer lanes compute padding. */
static void forward_layer(float *a, float *h, mlp_activation act, const float *in, const float *w,
                          const float *b, int B, int IN, int OUT, int team)
{
    if (OUT <= TN / 2)
        forward_blocks(a, h, act, in, w, b, B, IN, OUT, TN / 2, TMAX, team);
    else
        forward_blocks(a, h, act, in, w, b, B, IN, OUT, TN, TM, team);
}

/* dout (B, OUT), in (B, IN) -> dw (OUT, IN) += dout^T in, db (OUT) += column sums of dout. Work items are
 * (input block of TN, output chunk of OC) pairs; each dw value is its old value plus the samples in order. The
 * tile broadcasts dout[r][o] down a column: when the chunk is only part of a dout row, the chunk's columns
 * are first copied, KC rows at a time, into a contiguous panel on the stack (dout rows OUT floats apart
 * would otherwise cost a cache line, and at 4 KiB strides a page, per sample). No barrier at the end: the
 * caller's next work-sharing loop writes nothing this one reads. */
enum { OC = 4 * TM }; /* outputs per work item of backward_weights */

static inline __attribute__((always_inline)) void weights_item(int item, int noc, float *dw, float *db,
                                                               const float *dout, const float *in, int B, int IN,
                                                               int OUT, int acc)
{
    int pack_dout = OUT > OC;
    int i0 = item / noc * TN, ni = imin(TN, IN - i0);
    int c0 = item % noc * OC, nc = imin(OC, OUT - c0);
    float xp[KC * TN], dp[OC * KC], tile[TM * TN];
    for (int r0 = 0; r0 < B; r0 += KC) {
        int kc = imin(KC, B - r0);
        /* the columns of in: in place, or zero-padded in xp (kc, TN) for the last, narrow block */
        const float *x = in + (size_t)r0 * IN + i0;
        size_t ldx = (size_t)IN;
        if (ni < TN) {
            for (int r = 0; r < kc; r++)
                copy_padded(xp + r * TN, x + (size_t)r * IN, ni, TN);
            x = xp, ldx = TN;
        }
        /* the columns of dout: in place, or in dp, a (kc, TM) panel per group of TM outputs */
        if (pack_dout)
            for (int r = 0; r < kc; r++)
                for (int g = 0; g < nc; g += TM)
                    copy_padded(dp + g * kc + r * TM, dout + (size_t)(r0 + r) * OUT + c0 + g, imin(TM, nc - g),
                                TM);
        for (int g = 0; g < nc; g += TM) {
            int m = imin(TM, nc - g);
            const float *d = pack_dout ? dp + (size_t)g * kc : dout + (size_t)r0 * OUT + c0 + g;
            size_t ldd = pack_dout ? TM : (size_t)OUT;
            for (int o = 0; o < m; o++)
                if (acc || r0)
                    copy_padded(tile + o * TN, dw + (size_t)(c0 + g + o) * IN + i0, ni, TN);
                else
                    memset(tile + o * TN, 0, TN * sizeof *tile);
            if (pack_dout)
                tile_rows(tile, d, 1, TM, x, ldx, kc, m, TN);
            else
                tile_rows(tile, d, 1, (size_t)OUT, x, ldx, kc, m, TN);
            for (int o = 0; o < m; o++)
                copy_prefix(dw + (size_t)(c0 + g + o) * IN + i0, tile + o * TN, ni, TN);
            if (i0 == 0 && db) {
                /* the group's bias gradients side by side: one chain over the samples per output */
                float sum[TM];
                for (int o = 0; o < TM; o++)
                    sum[o] = o < m && (acc || r0) ? db[c0 + g + o] : 0;
                for (int r = 0; r < kc; r++)
                    #pragma omp simd
                    for (int o = 0; o < TM; o++)
                        sum[o] += o < m ? d[r * ldd + o] : 0;
                for (int o = 0; o < m; o++)
                    db[c0 + g + o] = sum[o];
            }
        }
    }
}

/* team: items shared out among the calling team (no barrier at the end), else all on the calling thread. db may
 * be NULL: no bias gradients. acc: add to dw and db, else overwrite them (no zeroing pass needed). */
static void backward_weights(float *dw, float *db, const float *dout, const float *in, int B, int IN, int OUT,
                             int team, int acc)
{
    int nib = (IN + TN - 1) / TN, noc = (OUT + OC - 1) / OC;
    if (team) {
        #pragma omp for schedule(static) nowait
        for (int item = 0; item < nib * noc; item++)
            weights_item(item, noc, dw, db, dout, in, B, IN, OUT, acc);
    } else
        for (int item = 0; item < nib * noc; item++)
            weights_item(item, noc, dw, db, dout, in, B, IN, OUT, acc);
}

/* dout (B, OUT), w (OUT, IN) -> din (B, IN) = dout w, times act'(a) when h is not NULL (a, h (B, IN) of the
 * layer below). Work items are (row block, input block of TN) pairs, row block outermost as in forward_layer.
 * The tiles read their columns of w in place when they fit in L1 (OUT <= KC); otherwise, and for the last,
 * narrow block, each item copies them KC outputs at a time into a contiguous panel on the stack, and partial
 * sums wait in din between panels. Each din value is one sum over the outputs in order. Ends with the barrier
 * that the layer below waits on. */
static inline __attribute__((always_inline)) void input_item(int item, int nib, int rows, float *din,
                                                             const float *a, const float *h, mlp_activation act,
                                                             const float *dout, const float *w, int B, int IN,
                                                             int OUT)
{
    int r0 = item / nib * rows, r1 = imin(B, r0 + rows);
    int i0 = item % nib * TN, ni = imin(TN, IN - i0);
    int pack_w = OUT > KC || ni < TN;
    float pack[KC * TN], tile[TM * TN];
    for (int k0 = 0; k0 < OUT; k0 += KC) {
        int kc = imin(KC, OUT - k0), last = k0 + kc == OUT;
        if (pack_w)
            for (int k = 0; k < kc; k++)
                copy_padded(pack + k * TN, w + (size_t)(k0 + k) * IN + i0, ni, TN);
        const float *p = pack_w ? pack : w + (size_t)k0 * IN + i0;
        size_t ldp = pack_w ? TN : (size_t)IN;
        for (int r = r0; r < r1; r += TM) {
            int m = imin(TM, r1 - r);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < TN; j++)
                    tile[i * TN + j] = k0 == 0 || j >= ni ? 0 : din[(size_t)(r + i) * IN + i0 + j];
            tile_rows(tile, dout + (size_t)r * OUT + k0, (size_t)OUT, 1, p, ldp, kc, m, TN);
            for (int i = 0; i < m; i++) {
                size_t off = (size_t)(r + i) * IN + i0;
                if (last && h)
                    activate_grad(din + off, tile + i * TN, a + off, h + off, ni, act);
                else
                    copy_prefix(din + off, tile + i * TN, ni, TN);
            }
        }
    }
}

/* team: items shared out among the calling team, else all on the calling thread in one row block. */
static void backward_input(float *din, const float *a, const float *h, mlp_activation act, const float *dout,
                           const float *w, int B, int IN, int OUT, int team)
{
    int nib = (IN + TN - 1) / TN, nrb = team ? row_blocks(B, TM) : 1, rows = (B + nrb - 1) / nrb;
    if (team) {
        #pragma omp for schedule(static)
        for (int item = 0; item < nrb * nib; item++)
            input_item(item, nib, rows, din, a, h, act, dout, w, B, IN, OUT);
    } else
        for (int item = 0; item < nib; item++)
            input_item(item, nib, rows, din, a, h, act, dout, w, B, IN, OUT);
}

/* Threads for a pass of this many multiply-adds: the team, or 1 below the threshold. One thread means no
 * parallel region at all: even a one-thread region costs a futex system call in libgomp. */
static int pass_threads(long work) { return work >= MLP_PARALLEL_MIN_WORK ? omp_get_max_threads() : 1; }

void mlp_linear_forward(float *out, const float *in, const float *w, const float *b, int B, int IN, int OUT)
{
    int nt = pass_threads((long)B * IN * OUT);
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        forward_layer(out, NULL, MLP_RELU, in, w, b, B, IN, OUT, 1);
    } else
        forward_layer(out, NULL, MLP_RELU, in, w, b, B, IN, OUT, 1);
}

void mlp_linear_forward_ref(float *out, const float *in, const float *w, const float *b, int B, int IN, int OUT)
{
    for (int r = 0; r < B; r++)
        for (int o = 0; o < OUT; o++) {
            float s = 0;
            for (int i = 0; i < IN; i++)
                s += in[r * IN + i] * w[o * IN + i];
            out[r * OUT + o] = s + b[o];
        }
}

static void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                            int B, int IN, int OUT)
{
    backward_weights(dw, db, dout, in, B, IN, OUT, 1, 1);
    if (din)
        backward_input(din, NULL, NULL, MLP_RELU, dout, w, B, IN, OUT, 1);
}

void mlp_linear_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                         int B, int IN, int OUT)
{
    int nt = pass_threads((long)B * IN * OUT * (din ? 2 : 1));
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        linear_backward(din, dw, db, dout, in, w, B, IN, OUT);
    } else
        linear_backward(din, dw, db, dout, in, w, B, IN, OUT);
}

void mlp_linear_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, int B, int IN, int OUT)
{
    for (int o = 0; o < OUT; o++)
        for (int r = 0; r < B; r++) {
            for (int i = 0; i < IN; i++)
                dw[o * IN + i] += dout[r * OUT + o] * in[r * IN + i];
            db[o] += dout[r * OUT + o];
        }
    if (!din)
        return;
    for (int r = 0; r < B; r++)
        for (int i = 0; i < IN; i++) {
            float s = 0;
            for (int o = 0; o < OUT; o++)
                s += dout[r * OUT + o] * w[o * IN + i];
            din[r * IN + i] = s;
        }
}

/* ---- network --------------------------------------------------------------------------------------------- */

static long pass_work(const mlp *net, int n)
{
    long work = 0;
    for (int k = 0; k < net->nlayers; k++)
        work += (long)n * net->size[k] * net->size[k + 1];
    return work;
}

/* The layers of a forward pass, one after the other: inside a parallel region they meet at the barriers of
 * their work-sharing loops. */
static void forward_pass(mlp *net, const float *x, int n)
{
    for (int k = 0; k < net->nlayers; k++) {
        int hidden = k + 1 < net->nlayers;
        forward_layer(net->a[k + 1], hidden ? net->h[k + 1] : NULL, net->act, k == 0 ? x : net->h[k],
                      net->w[k], net->b[k], n, net->size[k], net->size[k + 1], 1);
    }
}

/* One parallel region for the whole pass. */
void mlp_forward(mlp *net, const float *x, int n)
{
    int nt = pass_threads(pass_work(net, n));
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        forward_pass(net, x, n);
    } else
        forward_pass(net, x, n);
}

/* log(1 + exp(z)) without overflow */
static inline double softplus(double z) { return (z > 0 ? z : 0) + log1p(exp(-fabs(z))); }

enum { LOSS_ROWS = 16 }; /* rows per block of the loss: a vector of floats, one row per lane */

/* Softmax cross-entropy of rows r0..r1-1 (at most LOSS_ROWS), vectorised across rows: one lane per row, the
 * classes in the outer loops, so there are no horizontal reductions. Log-sum-exp around the largest logit, so
 * every exp argument is <= 0; the prediction is the first largest logit. A NaN or +Inf logit makes the loss
 * NaN, as does a row of -Inf; a -Inf logit is a class of probability 0 (an infinite loss if it is the label).
 * Every sum over classes is in class order. */
static inline void softmax_rows(mlp *net, const int *y, int r0, int r1, float scale)
{
    int U = net->size[net->nlayers], nr = r1 - r0;
    const float *z = net->a[net->nlayers] + (size_t)r0 * U;
    float *dz = net->d[net->nlayers] + (size_t)r0 * U;
    float m[LOSS_ROWS], s[LOSS_ROWS], lse[LOSS_ROWS], g[LOSS_ROWS];
    int best[LOSS_ROWS], row[LOSS_ROWS], label[LOSS_ROWS];
    /* lanes past the last row repeat it (unmasked loads vectorise as gathers); their results are dropped */
    for (int i = 0; i < LOSS_ROWS; i++) {
        row[i] = (i < nr ? i : nr - 1) * U;
        label[i] = y[r0 + (i < nr ? i : nr - 1)];
    }
    #pragma omp simd
    for (int i = 0; i < LOSS_ROWS; i++) {
        m[i] = z[row[i]];
        best[i] = 0;
        s[i] = 0;
    }
    for (int k = 1; k < U; k++)
        #pragma omp simd
        for (int i = 0; i < LOSS_ROWS; i++) {
            float v = z[row[i] + k];
            best[i] = v > m[i] ? k : best[i];
            m[i] = v > m[i] ? v : m[i];
        }
    for (int k = 0; k < U; k++)
        #pragma omp simd
        for (int i = 0; i < LOSS_ROWS; i++)
            s[i] += exp_nonpos(z[row[i] + k] - m[i]);
    #pragma omp simd
    for (int i = 0; i < LOSS_ROWS; i++)
        lse[i] = log_ge1(s[i]); /* s in [1, U] */
    for (int i = 0; i < nr; i++) {
        net->loss[r0 + i] = (double)m[i] + (double)lse[i] - (double)z[row[i] + label[i]];
        net->correct[r0 + i] = best[i] == label[i];
    }
    if (scale == 0)
        return;
    #pragma omp simd
    for (int i = 0; i < LOSS_ROWS; i++)
        s[i] = 1 / s[i];
    for (int k = 0; k < U; k++) {
        #pragma omp simd
        for (int i = 0; i < LOSS_ROWS; i++)
            g[i] = scale * (exp_nonpos(z[row[i] + k] - m[i]) * s[i] - (float)(label[i] == k));
        for (int i = 0; i < nr; i++)
            dz[row[i] + k] = g[i];
    }
}

/* Per-class binary cross-entropy of row r (sigmoid outputs), in double through a softplus that cannot
 * overflow; the prediction: logit > 0 for one unit, else the first largest logit. */
static void sigmoid_row(mlp *net, const int *y, int r, float scale)
{
    int U = net->size[net->nlayers];
    const float *zr = net->a[net->nlayers] + (size_t)r * U;
    float *dr = net->d[net->nlayers] + (size_t)r * U;
    int best = 0;
    for (int k = 1; k < U; k++)
        if (zr[k] > zr[best])
            best = k;
    double loss = 0;
    for (int k = 0; k < U; k++) {
        double t = U == 1 ? y[r] : (k == y[r]);
        loss += softplus(zr[k]) - t * zr[k];
        if (scale != 0)
            dr[k] = scale * (sigmoidf(zr[k]) - (float)t);
    }
    net->correct[r] = U == 1 ? ((zr[0] > 0) == y[r]) : best == y[r];
    net->loss[r] = loss;
}

/* Rows r0..r1-1 of mlp_loss. */
static inline void loss_block(mlp *net, const int *y, int r0, int r1, float scale)
{
    if (net->out == MLP_OUT_SOFTMAX)
        softmax_rows(net, y, r0, r1, scale);
    else
        for (int r = r0; r < r1; r++)
            sigmoid_row(net, y, r, scale);
}

/* The rows of mlp_loss in blocks, shared out by an orphaned omp for. */
static void loss_rows(mlp *net, const int *y, int n, float scale)
{
    #pragma omp for schedule(static)
    for (int r0 = 0; r0 < n; r0 += LOSS_ROWS)
        loss_block(net, y, r0, imin(n, r0 + LOSS_ROWS), scale);
}

/* Over rows, when the batch is big enough: a logit (two exps) counts as 16 multiply-adds of work. */
void mlp_loss(mlp *net, const int *y, int n, float scale)
{
    int nt = pass_threads((long)n * net->size[net->nlayers] * 16);
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        loss_rows(net, y, n, scale);
    } else
        loss_rows(net, y, n, scale);
}

static void backward_pass(mlp *net, const float *x, int n, int acc)
{
    for (int k = net->nlayers - 1; k >= 0; k--) {
        int IN = net->size[k], OUT = net->size[k + 1];
        backward_weights(net->gw[k], net->gb[k], net->d[k + 1], k == 0 ? x : net->h[k], n, IN, OUT, 1, acc);
        if (k > 0)
            backward_input(net->d[k], net->a[k], net->h[k], net->act, net->d[k + 1], net->w[k], n, IN, OUT, 1);
    }
}

/* One parallel region for the whole pass; acc: add to grads, else overwrite them. */
static void backward_run(mlp *net, const float *x, int n, int acc)
{
    int nt = pass_threads(2 * pass_work(net, n));
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        backward_pass(net, x, n, acc);
    } else
        backward_pass(net, x, n, acc);
}

void mlp_backward(mlp *net, const float *x, int n) { backward_run(net, x, n, 1); }

void mlp_zero_grads(mlp *net) { memset(net->grads, 0, net->nparams * sizeof(float)); }

int mlp_params_finite(const mlp *net)
{
    int ok = 1;
    for (size_t i = 0; i < net->nparams; i++)
        ok &= isfinite(net->params[i]) != 0;
    return ok;
}

/* ---- training step ---------------------------------------------------------------------------------------- */

void mlp_update_range(const mlp_update *u, float *restrict p, const float *restrict g, size_t lo, size_t hi)
{
    float lr = u->lr, *restrict m = u->m, *restrict v = u->v;
    if (u->kind == MLP_SGD) {
        for (size_t i = lo; i < hi; i++)
            p[i] -= lr * g[i];
    } else if (u->kind == MLP_MOMENTUM) {
        float mu = u->momentum;
        for (size_t i = lo; i < hi; i++) {
            m[i] = mu * m[i] + g[i];
            p[i] -= lr * m[i];
        }
    } else {
        float b1 = u->beta1, b2 = u->beta2, eps = u->eps, c1 = u->c1, c2 = u->c2;
        for (size_t i = lo; i < hi; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            p[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
        }
    }
}

/* Every parameter, in contiguous shares when the model is big enough; each element on its own, so the same
 * bits whoever updates it. */
static void update_all(mlp *net, const mlp_update *u)
{
    size_t n = net->nparams;
    if (n >= UPDATE_PARALLEL_MIN && omp_get_max_threads() > 1) {
        #pragma omp parallel
        {
            size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
            mlp_update_range(u, net->params, net->grads, n * t / nt, n * (t + 1) / nt);
        }
    } else
        mlp_update_range(u, net->params, net->grads, 0, n);
}

double mlp_chunked_floats(int hidden, int nout, int max_rows)
{
    double chunks = (hidden + HCHUNK - 1) / HCHUNK;
    return chunks * max_rows * nout + 2.0 * hidden * nout + nout;
}

int mlp_chunked_shape(int nin, int hidden, int nout, int n)
{
    return hidden > HCHUNK && (long)n * ((long)nin * hidden + (long)hidden * nout) >= MLP_PARALLEL_MIN_WORK;
}

int mlp_step_chunked(const mlp *net, int n)
{
    return net->nlayers == 2 && net->part && mlp_chunked_shape(net->size[0], net->size[1], net->size[2], n);
}

/* The chunked step, run by every thread of the calling team (or by the caller alone). Both loops over chunks
 * share them out by the same static schedule, so the thread that computes a chunk's activations in the
 * forward pass computes its gradients and updates its weights, and finds them in its own cache; in the next
 * step it owns the same chunks again. Hidden pre-activations, activations and their gradients are stored
 * chunk by chunk: chunk c's (n, width) block starts at n * c0. */
static void chunked_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u)
{
    int IN = net->size[0], H = net->size[1], OUT = net->size[2], nc = (H + HCHUNK - 1) / HCHUNK;
    float *p = net->params, *g = net->grads;
    size_t w1 = (size_t)(net->w[0] - p), b1 = (size_t)(net->b[0] - p), w2 = (size_t)(net->w[1] - p);
    size_t b2 = (size_t)(net->b[1] - p);
    #pragma omp for schedule(static)
    for (int c = 0; c < nc; c++) {
        int c0 = c * HCHUNK, wd = imin(HCHUNK, H - c0);
        float *ac = net->a[1] + (size_t)n * c0, *hc = net->h[1] + (size_t)n * c0, *w2c = net->w2c + (size_t)OUT * c0;
        for (int o = 0; o < OUT; o++)
            memcpy(w2c + (size_t)o * wd, p + w2 + (size_t)o * H + c0, (size_t)wd * sizeof *w2c);
        forward_layer(ac, hc, net->act, x, p + w1 + (size_t)c0 * IN, p + b1 + c0, n, IN, wd, 0);
        forward_layer(net->part + (size_t)c * n * OUT, NULL, net->act, hc, w2c, net->zero, n, wd, OUT, 0);
    }
    /* the logits (the chunks' partial sums added in chunk order, then the bias) and the loss, rows in blocks of
     * LOSS_ROWS: one loop, so the thread that sums a row's logits takes its loss */
    float *z = net->a[2];
    const float *part = net->part;
    #pragma omp for schedule(static)
    for (int r0 = 0; r0 < n; r0 += LOSS_ROWS) {
        int r1 = imin(n, r0 + LOSS_ROWS);
        size_t lo = (size_t)r0 * OUT, hi = (size_t)r1 * OUT;
        for (size_t i = lo; i < hi; i++)
            z[i] = part[i];
        for (int c = 1; c < nc; c++) {
            const float *pc = part + (size_t)c * n * OUT;
            #pragma omp simd
            for (size_t i = lo; i < hi; i++)
                z[i] += pc[i];
        }
        for (int r = r0; r < r1; r++)
            for (int o = 0; o < OUT; o++)
                z[(size_t)r * OUT + o] += p[b2 + o];
        loss_block(net, y, r0, r1, scale);
    }
    const float *d2 = net->d[2];
    #pragma omp single nowait
    {
        /* the output bias: nothing below reads it or its gradient */
        for (int o = 0; o < OUT; o++)
            g[b2 + o] = 0;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < OUT; o++)
                g[b2 + o] += d2[(size_t)r * OUT + o];
        mlp_update_range(u, p, g, b2, b2 + (size_t)OUT);
    }
    #pragma omp for schedule(static)
    for (int c = 0; c < nc; c++) {
        int c0 = c * HCHUNK, wd = imin(HCHUNK, H - c0);
        size_t n0 = (size_t)n * c0;
        float *w2c = net->w2c + (size_t)OUT * c0, *g2c = net->g2c + (size_t)OUT * c0;
        backward_weights(g2c, NULL, d2, net->h[1] + n0, n, wd, OUT, 0, 0);
        backward_input(net->d[1] + n0, net->a[1] + n0, net->h[1] + n0, net->act, d2, w2c, n, wd, OUT, 0);
        backward_weights(g + w1 + (size_t)c0 * IN, g + b1 + c0, net->d[1] + n0, x, n, IN, wd, 0, 0);
        mlp_update_range(u, p, g, w1 + (size_t)c0 * IN, w1 + (size_t)(c0 + wd) * IN);
        mlp_update_range(u, p, g, b1 + c0, b1 + c0 + wd);
        for (int o = 0; o < OUT; o++) {
            size_t at = w2 + (size_t)o * H + c0;
            memcpy(g + at, g2c + (size_t)o * wd, (size_t)wd * sizeof *g);
            mlp_update_range(u, p, g, at, at + wd);
        }
    }
}

void mlp_train_step(mlp *net, const float *x, const int *y, int n, float scale, const mlp_update *u)
{
    if (mlp_step_chunked(net, n)) {
        int nt = omp_get_max_threads();
        if (nt > 1) {
            #pragma omp parallel num_threads(nt)
            chunked_step(net, x, y, n, scale, u);
        } else
            chunked_step(net, x, y, n, scale, u);
        return;
    }
    mlp_forward(net, x, n);
    mlp_loss(net, y, n, scale);
    backward_run(net, x, n, 0);
    update_all(net, u);
}

int mlp_reserve(mlp *net, int threads, int batch)
{
    int copies = threads > 1 && mlp_step_chunked(net, batch) ? threads : 1;
    free(net->xt);
    free(net->yt);
    net->xt = alloc_floats((size_t)copies * (size_t)net->max_rows * (size_t)net->size[0], sizeof(float));
    net->yt = alloc_floats((size_t)net->max_rows, sizeof(int));
    net->xthreads = net->xt && net->yt ? copies : 0;
    return net->xthreads ? 0 : -1;
}

static void gather_rows(float *dst, const float *X, const int *rows, int n, int cols)
{
    for (int i = 0; i < n; i++)
        memcpy(dst + (size_t)i * cols, X + (size_t)rows[i] * cols, (size_t)cols * sizeof *dst);
}

void mlp_train_rows(mlp *net, const float *X, const int *Y, const int *rows, int n, float scale, const mlp_update *u)
{
    int cols = net->size[0], nt = omp_get_max_threads();
    for (int i = 0; i < n; i++)
        net->yt[i] = Y[rows[i]];
    nt = nt < net->xthreads ? nt : net->xthreads;
    if (nt > 1 && mlp_step_chunked(net, n)) {
        #pragma omp parallel num_threads(nt)
        {
            float *x = net->xt + (size_t)omp_get_thread_num() * (size_t)net->max_rows * (size_t)cols;
            gather_rows(x, X, rows, n, cols);
            chunked_step(net, x, net->yt, n, scale, u);
        }
        return;
    }
    gather_rows(net->xt, X, rows, n, cols);
    mlp_train_step(net, net->xt, net->yt, n, scale, u);
}
