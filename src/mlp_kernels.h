/* Internal to the mlp module (mlp.c and mlp_kernels.c), not for other modules: the tiled linear-layer kernels
 * that the passes and the chunked step call, the serial threshold, and the scalar functions both files inline.
 * The kernels' parallel axes and their bitwise guarantees are in mlp_kernels.c. */
#ifndef MLP_KERNELS_H
#define MLP_KERNELS_H
#include "mlp.h"
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

/* Below this many multiply-adds in a whole forward or backward pass it runs on the calling thread. Measured
 * (make bench, "Serial threshold"): a two-thread region and its barriers cost some 10 us on this VM, so a
 * second thread pays from about a million multiply-adds; the threshold sits a few times higher because a team
 * member that the OS deschedules (a shared machine) stalls every barrier for a time slice, and a pass that
 * small is not worth that risk. */
#ifndef MLP_PARALLEL_MIN_WORK
#define MLP_PARALLEL_MIN_WORK (1L << 22)
#endif

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

#if defined(__SSE2__)
#include <immintrin.h>
#endif
#if defined(__AVX512F__)

/* sigmoidf of 16 floats, spelled out: the same operations on the same values, so the same bits (NaN included;
 * tests/test_mlp_kernels.c compares them over the floats), with the power of two applied by vscalefps (one
 * rounding of p 2^n, as the multiply by the exact 2^n) and exp_nonpos' clamp and zero as a max and a mask. GCC's
 * vectorised sigmoidf predicates every operation and broadcasts its constants again at every call. */
static inline __attribute__((always_inline)) __m512 sigmoid16(__m512 x)
{
    const __m512 lo = _mm512_set1_ps(-87.0f), shift = _mm512_set1_ps(12582912.0f), one = _mm512_set1_ps(1.0f);
    __m512 ax = _mm512_andnot_ps(_mm512_set1_ps(-0.0f), x), t = _mm512_or_ps(x, _mm512_set1_ps(-0.0f)); /* |x|, -|x| */
    __m512 u = _mm512_max_ps(t, lo);                    /* NaN -> -87, as exp_nonpos */
    __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(u, _mm512_set1_ps(1.44269504088896341f), shift), shift);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), u);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.9875691500e-4f), r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), one);
    /* t - t as GCC compiles it, |x| - |x|: the same 0, and for a NaN the same positive NaN that sigmoidf gives */
    __m512 e = _mm512_add_ps(_mm512_scalef_ps(p, n), _mm512_sub_ps(ax, ax));
    e = _mm512_maskz_mov_ps(~_mm512_cmp_ps_mask(t, lo, _CMP_LT_OQ), e); /* below -87: 0 */
    __m512 sg = _mm512_div_ps(one, _mm512_add_ps(one, e));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), _mm512_mul_ps(e, sg), sg);
}
#endif

/* Threads for a pass of this many multiply-adds: the team, or 1 below the threshold. One thread means no
 * parallel region at all: even a one-thread region costs a futex system call in libgomp. */
static inline int pass_threads(long work) { return work >= MLP_PARALLEL_MIN_WORK ? omp_get_max_threads() : 1; }

/* How a kernel shares its work (its team argument): MLP_SERIAL: all on the calling thread; MLP_TEAM: its work
 * items shared out by an orphaned omp for among the calling team; MLP_TEAM_OUTS / MLP_TEAM_INS: each thread of
 * the team takes its share (mlp_team_share) of the layer's outputs / inputs, for every row. The values are the
 * same bits whichever way. */
enum { MLP_SERIAL = 0, MLP_TEAM = 1, MLP_TEAM_OUTS = 2, MLP_TEAM_INS = 3 };
/* The calling thread's share u0..u1-1 of units 0..units-1: contiguous groups of a tile's width, in thread order,
 * the same for every kernel, so a thread finds the units it computed in one pass in the next. */
void mlp_team_share(int units, int *u0, int *u1);
/* 1 when mlp_team_share gives each of nt threads some of the units and none more than 5/4 of an even share. */
int mlp_team_balanced(int units, int nt);

/* in (B, IN), w (OUT, IN), b (OUT) -> a (B, OUT) = in w^T + b, and h (B, OUT) = act(a) unless h is NULL. team:
 * MLP_TEAM: rows shared out by an orphaned omp for among the calling team; MLP_TEAM_OUTS: the thread's share of
 * the outputs, no barrier at the end; MLP_SERIAL: all on the calling thread. */
void mlp_forward_layer(float *a, float *h, mlp_activation act, const float *in, const float *w, const float *b,
                       int B, int IN, int OUT, int team);
/* Outputs of a narrow layer (mlp_forward_narrow) and rows per call: the width of a tile (32 floats with AVX-512). */
enum { MLP_NARROW_OUT = 12 };
int mlp_narrow_rows(void);
/* in (nr <= mlp_narrow_rows() rows, IN), w (OUT <= MLP_NARROW_OUT, IN), b (OUT) -> zt (OUT, mlp_narrow_rows()) =
 * (in w^T + b)^T: row r's logits in column r, each value mlp_forward_layer's bits; columns nr and up hold
 * padding. On the calling thread. */
void mlp_forward_narrow(float *zt, const float *in, const float *w, const float *b, int nr, int IN, int OUT);
/* dout (B, OUT), in (B, IN) -> dw (OUT, IN) += dout^T in, db (OUT) += column sums of dout (db may be NULL);
 * acc: add to dw and db, else overwrite them. team as above (MLP_TEAM_INS: db on the thread with input 0), with
 * no barrier at the end. */
void mlp_backward_weights(float *dw, float *db, const float *dout, const float *in, int B, int IN, int OUT,
                          int team, int acc);
/* An update folded into mlp_backward_weights_update: the step u (its optimizer and scalars; its m and v, the whole
 * model's, are not read here); the layer's weights w (OUT, IN) and biases b (OUT), and their optimizer state mw, mb
 * (momentum and Adam; else NULL), vw, vb (Adam). */
typedef struct mlp_fold {
    const mlp_update *u;
    float *w, *b, *mw, *mb, *vw, *vb;
} mlp_fold;

/* a / c for floats a and c with 0 < c <= 1 (Adam's c1 and c2), given r = 1.0 / c in double: the same bits as the
 * float division, for any a (zeros, infinities, a NaN, subnormals and quotients that overflow included), by two
 * conversions and a multiply on the FMA units rather than the divider. Why: a / c is never a float midpoint. Of
 * 2^-126 and up, a midpoint is M 2^e with M odd and of 25 bits, and c's odd part times M, over 2^24, would have to
 * equal a's odd part, under 2^24. Below, midpoints are odd multiples of 2^-150, and a, a multiple of 2^-149, equal
 * to c M 2^-150 would make c an even integer, which |c| < 2 excludes. a / c's distance to the nearest midpoint is
 * a nonzero multiple of 2^min(ea, ec + e) over c, at least 2^-49 of the quotient; a r in double is within 2^-51 of
 * a / c (two roundings of 2^-53), so it lies on the same side of every midpoint and rounds to the float a / c does.
 * tests/test_mlp_kernels.c checks every significand in several binades against several c. */
static inline __attribute__((always_inline)) float mlp_div_by(float a, double r)
{
    return (float)((double)a * r);
}

/* Adam's part of mlp_update_rows. decay (weight decay) and whole (c1 is 1, so m / c1 is m) are constants at each
 * call, so each case compiles to its own loop. */
static inline __attribute__((always_inline)) void adam_rows(const mlp_update *u, float *restrict p, float *restrict m,
                                                            float *restrict v, size_t ld, const float *restrict g,
                                                            size_t ldg, int rows, size_t n, int decay, int whole)
{
    float lr = u->lr, wd = u->weight_decay, b1 = u->beta1, b2 = u->beta2, eps = u->eps;
    double r1 = 1.0 / u->c1, r2 = 1.0 / u->c2;
    for (int r = 0; r < rows; r++) {
        float *pr = p + r * ld, *mr = m + r * ld, *vr = v + r * ld;
        const float *gr = g + r * ldg;
        #pragma omp simd
        for (size_t j = 0; j < n; j++) {
            float gi = decay ? gr[j] + wd * pr[j] : gr[j];
            mr[j] = b1 * mr[j] + (1 - b1) * gi;
            vr[j] = b2 * vr[j] + (1 - b2) * gi * gi;
            float mh = whole ? mr[j] : mlp_div_by(mr[j], r1);
            pr[j] -= lr * mh / (sqrtf(mlp_div_by(vr[j], r2)) + eps);
        }
    }
}

/* The update u (its optimizer and scalars; its own m and v are not read) of rows x n parameters p (rows ld apart),
 * their gradients g (rows ldg apart) and state m (momentum, Adam; else NULL), v (Adam), laid out as p: the
 * operations of mlp_update_range_ref's scalar loop in its order (the same bits), Adam's divisions by c1 and c2 as
 * multiplies in double (mlp_div_by). The optimizer and whether there is weight decay are looked at once for all
 * the rows, each case its own loop: a select inside the loop, and the look at every row of a folded update's tile,
 * made the update cost several times its arithmetic. Weight decay adds wd p to each gradient inside the same loop (as
 * torch.optim's weight_decay); without it the loops read g alone, so a run without decay keeps its bits even where
 * a weight is not finite. Once Adam's c1 = 1 - beta1^t rounds to 1 (from step 165 at beta1 = 0.9, in the fourth
 * of the digits run's 50 epochs), m / c1 is m and that loop leaves the correction out: the same bits, and a sixth
 * less time for the digits model's first layer (gradient and update 7.8 against 9.2 us). mlp_update_range and the
 * update folded into mlp_backward_weights_update are both this. */
static inline __attribute__((always_inline)) void mlp_update_rows(const mlp_update *u, float *restrict p,
                                                                  float *restrict m, float *restrict v, size_t ld,
                                                                  const float *restrict g, size_t ldg, int rows,
                                                                  size_t n)
{
    float lr = u->lr, wd = u->weight_decay;
    if (u->kind == MLP_SGD && wd == 0) {
        for (int r = 0; r < rows; r++)
            #pragma omp simd
            for (size_t j = 0; j < n; j++)
                p[r * ld + j] -= lr * g[r * ldg + j];
        return;
    }
    if (u->kind == MLP_SGD) {
        for (int r = 0; r < rows; r++)
            #pragma omp simd
            for (size_t j = 0; j < n; j++)
                p[r * ld + j] -= lr * (g[r * ldg + j] + wd * p[r * ld + j]);
        return;
    }
    if (u->kind == MLP_MOMENTUM) {
        float mu = u->momentum;
        for (int r = 0; r < rows; r++) {
            float *pr = p + r * ld, *mr = m + r * ld;
            const float *gr = g + r * ldg;
            if (wd == 0)
                #pragma omp simd
                for (size_t j = 0; j < n; j++) {
                    mr[j] = mu * mr[j] + gr[j];
                    pr[j] -= lr * mr[j];
                }
            else
                #pragma omp simd
                for (size_t j = 0; j < n; j++) {
                    mr[j] = mu * mr[j] + (gr[j] + wd * pr[j]);
                    pr[j] -= lr * mr[j];
                }
        }
        return;
    }
    int decay = wd != 0, whole = u->c1 == 1;
    if (decay && whole)
        adam_rows(u, p, m, v, ld, g, ldg, rows, n, 1, 1);
    else if (decay)
        adam_rows(u, p, m, v, ld, g, ldg, rows, n, 1, 0);
    else if (whole)
        adam_rows(u, p, m, v, ld, g, ldg, rows, n, 0, 1);
    else
        adam_rows(u, p, m, v, ld, g, ldg, rows, n, 0, 0);
}

/* mlp_update_rows of one row. */
static inline __attribute__((always_inline)) void mlp_update_block(const mlp_update *u, float *restrict p,
                                                                   float *restrict m, float *restrict v,
                                                                   const float *restrict g, size_t n)
{
    mlp_update_rows(u, p, m, v, 0, g, 0, 1, n);
}

/* The weight gradient (as mlp_backward_weights, overwriting) and the update f of the layer's weights and biases,
 * each as soon as its gradient is complete: every value the bits of mlp_backward_weights then mlp_update_range.
 * The bias gradients land in db (not NULL); the weight gradients go from registers into the update, so dw is only
 * scratch space (B rows over 256) and holds no gradient after it. team: MLP_SERIAL, or MLP_TEAM_OUTS /
 * MLP_TEAM_INS as mlp_backward_weights (no barrier at the end). Nothing may read the weights and biases it
 * updates after it in the step. */
void mlp_backward_weights_update(float *dw, float *db, const float *dout, const float *in, int B, int IN, int OUT,
                                 int team, const mlp_fold *f);
/* The first layer kept transposed (mlp.h, mlp_steps_begin): its forward pass from wt (IN, OUT) = w^T, whose tiles
 * read their columns in place where the packed layout copies and transposes w's blocks at every step; the same
 * bits as mlp_forward_layer. On the calling thread. */
void mlp_forward_layer_t(float *a, float *h, mlp_activation act, const float *in, const float *wt, const float *b,
                         int B, int IN, int OUT);
/* Its weight gradient and update: as mlp_backward_weights_update (the same bits), with f's weights w and their state
 * mw, vw transposed (IN, OUT); the gradients dW^T in tiles of inputs by outputs, each tile's chains over all B
 * rows in registers. The bias gradients land in db. Needs mlp_transposed_shape. On the calling thread. */
void mlp_backward_weights_update_t(float *db, const float *dout, const float *in, int B, int IN, int OUT,
                                   const mlp_fold *f);
/* The most weights (IN x OUT) a first layer kept transposed has: 256 KiB, within L2, where the tiles read it. */
enum { MLP_TRANSPOSED_MAX = 65536 };
/* 1 when a first layer IN -> OUT at batches of B rows may be kept transposed: B within one 256-row panel, more
 * outputs than one vector, no multiple of 1024 (rows 4 KiB apart), and at most MLP_TRANSPOSED_MAX weights. */
int mlp_transposed_shape(int B, int IN, int OUT);
/* dst (cols, rows) = src (rows, cols)^T. */
void mlp_transpose(float *dst, const float *src, int rows, int cols);
/* dout (B, OUT), w (OUT, IN) -> din (B, IN) = dout w, times act'(a) when h is not NULL (a, h (B, IN) of the
 * layer below). team: MLP_TEAM (a barrier at the end), MLP_TEAM_INS (none) or MLP_SERIAL. */
void mlp_backward_input(float *din, const float *a, const float *h, mlp_activation act, const float *dout,
                        const float *w, int B, int IN, int OUT, int team);

#endif
