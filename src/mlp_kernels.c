/* The tiled kernels of the linear layers and their plain twins. Parallel axes: the forward pass over (output
 * block, row chunk) pairs, the input gradient over (input block, row chunk) pairs, the weight gradient over
 * (input block, output chunk) pairs; each value is written by one thread and summed in a fixed order by the
 * same multiply-add on every code path, so the results are bitwise the same for any thread count and any
 * tiling. No float reduction crosses threads. The optimizer update is in mlp_update.c, but for its fold into the
 * weight gradient's pass. */
#include "mlp_kernels.h"
#if defined(__SSE2__)
#include <immintrin.h>
#endif

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
_Static_assert((int)TM <= (int)TMAX && (int)MLP_NARROW_OUT <= (int)TMAX,
               "tile_rows has a case for every height up to TMAX");

/* h (n) = act(a) */
static inline void activate(float *restrict h, const float *restrict a, int n, mlp_activation act)
{
    if (act == MLP_SIGMOID) {
#if defined(__AVX512F__)
        int j = 0;
        for (; j + 16 <= n; j += 16)
            _mm512_storeu_ps(h + j, sigmoid16(_mm512_loadu_ps(a + j)));
        if (j < n) {
            __mmask16 k = (__mmask16)((1u << (n - j)) - 1);
            _mm512_mask_storeu_ps(h + j, k, sigmoid16(_mm512_maskz_loadu_ps(k, a + j)));
        }
#else
        #pragma omp simd
        for (int j = 0; j < n; j++)
            h[j] = sigmoidf(a[j]);
#endif
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
 * none). Three rounds of pairwise interleaving turn rows into columns. Clang has no __builtin_shuffle; its
 * __builtin_shufflevector takes the same lane indices as constants. A shuffle only moves floats, so both give
 * the same bits. */
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#if defined(__clang__)
#define SHUFFLE8(x, y, i0, i1, i2, i3, i4, i5, i6, i7) __builtin_shufflevector(x, y, i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define SHUFFLE8(x, y, i0, i1, i2, i3, i4, i5, i6, i7) __builtin_shuffle(x, y, (v8i){i0, i1, i2, i3, i4, i5, i6, i7})
#endif

static inline void transpose8(v8f r[8])
{
    v8f t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = SHUFFLE8(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = SHUFFLE8(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; h++) {
            u[i + 2 * h] = SHUFFLE8(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + 2 * h + 1] = SHUFFLE8(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (int i = 0; i < 4; i++) {
        r[i] = SHUFFLE8(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        r[i + 4] = SHUFFLE8(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
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

/* c (m, n) += a (m, kc) p (kc, n), where a[i][k] sits at a[i * lda + k * ldk] and p[k][j] at p[k * ldp + j];
 * zero: c = a p, as from a c of +0 (the first step adds a +0 in registers: neither a zeroing pass nor its loads).
 * m, n and zero are constants at every call, so each call site gets its own fully unrolled copy with c in
 * registers: m rows of n / VEC vectors. */
static inline __attribute__((always_inline)) void tile_madd(float *restrict c, const float *restrict a, size_t lda,
                                                            size_t ldk, const float *restrict p, size_t ldp, int kc,
                                                            int m, int n, int zero)
{
    /* the first step reads c and the last writes it, so no copy of the tile stands apart (GCC would make it a
     * memcpy call); every value is still one multiply-add per k in order */
    float acc[TMAX][TN];
    for (int i = 0; i < m; i++) {
        float x = a[i * lda];
        #pragma omp simd
        for (int j = 0; j < n; j++)
            acc[i][j] = MADD(x, p[j], zero ? 0.0f : c[i * n + j]);
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

/* c (m, n) += a (m, kc) p (kc, n) for 1 <= m <= TMAX (c = a p with zero): a copy of the tile for each height, so
 * that a short tile also loads p once for all its rows. */
static inline __attribute__((always_inline)) void tile_rows(float *restrict c, const float *restrict a, size_t lda,
                                                            size_t ldk, const float *restrict p, size_t ldp, int kc,
                                                            int m, int n, int zero)
{
    switch (m + (zero ? TMAX : 0)) {
#define TILE_CASE(M)                                                                                               \
    case M:                                                                                                        \
        tile_madd(c, a, lda, ldk, p, ldp, kc, M, n, 0);                                                            \
        break;                                                                                                     \
    case M + TMAX:                                                                                                 \
        tile_madd(c, a, lda, ldk, p, ldp, kc, M, n, 1);                                                            \
        break;
        TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4) TILE_CASE(5) TILE_CASE(6) TILE_CASE(7) TILE_CASE(8)
        TILE_CASE(9) TILE_CASE(10) TILE_CASE(11) TILE_CASE(12)
#undef TILE_CASE
    }
}

/* Thread t's share of units among nt threads: whole groups of TN units. */
static void share_of(int units, int t, int nt, int *u0, int *u1)
{
    int groups = (units + TN - 1) / TN;
    *u0 = imin(units, groups * t / nt * TN);
    *u1 = imin(units, groups * (t + 1) / nt * TN);
}

void mlp_team_share(int units, int *u0, int *u1)
{
    share_of(units, omp_get_thread_num(), omp_get_num_threads(), u0, u1);
}

int mlp_team_balanced(int units, int nt)
{
    int ok = 1, u0, u1;
    for (int t = 0; t < nt; t++) {
        share_of(units, t, nt, &u0, &u1);
        ok &= u1 > u0 && 4L * (u1 - u0) * nt <= 5L * units;
    }
    return ok;
}

/* Row blocks of a B-row pass on the calling team: one per thread when each gets a few tiles, so that a thread
 * keeps the same rows from layer to layer and reads back the activations it wrote itself (on this VM,
 * rewriting or reading a buffer that another core touched last takes about twice as long); else one. */
static int row_blocks(int B, int tm)
{
    int nt = omp_get_num_threads();
    return B >= 2 * tm * nt ? nt : 1;
}

/* Where a thread of a units step shares its rows with another core, each line the other core read or wrote last
 * comes from that core's cache: ~450 ns a line on this VM with the two cores far apart, where the tiles, eight rows
 * stepping one float at a time, outrun the hardware prefetchers, and a store to a line the other core holds waits
 * for its invalidation. So the kernels ask for the next tile's lines ahead: for reading (fetch_read: the rows a
 * thread's first block reads, which the other core wrote) or for writing (fetch_write: the rows it writes, which the
 * other core read; most of the gain: the weights a thread updates, whose columns the other core's input gradient
 * read). A prefetch changes no value. bench_kernels' multi-layer step, 2 threads, interleaved, the cores far apart:
 * 64-256-256-10 at batch 64 157-163 -> 131-134 us, 64-256-256-256-10 at batch 128 468-489 -> 397-426 us; near:
 * level within the noise. */

/* Every cache line of the n > 0 floats from p, for reading (w 0) or writing (w 1): one address 64 bytes apart
 * from p, and the last float, all inside the floats (no pointer formed outside them). */
#define FETCH_SPAN(p, n, w)                                                                                        \
    do {                                                                                                           \
        const char *fs_ = (const char *)(p);                                                                      \
        size_t fs_len_ = (size_t)(n) * sizeof(float);                                                              \
        for (size_t fs_o_ = 0; fs_o_ < fs_len_; fs_o_ += 64)                                                       \
            __builtin_prefetch(fs_ + fs_o_, w, 3);                                                                 \
        __builtin_prefetch(fs_ + fs_len_ - 1, w, 3);                                                               \
    } while (0)

/* Rows r0..r1-1 (those below rmax) of m, columns c0..c1-1 but for the thread's own s0..s1-1, rows ld apart. */
static inline __attribute__((always_inline)) void fetch_read(const float *m, size_t ld, int r0, int r1, int rmax,
                                                             int c0, int c1, int s0, int s1)
{
    int lo[2] = {c0, s1 > c0 ? s1 : c0}, hi[2] = {s0 < c1 ? s0 : c1, c1};
    for (int r = r0; r < r1 && r < rmax; r++)
        for (int part = 0; part < 2; part++)
            if (lo[part] < hi[part])
                FETCH_SPAN(m + (size_t)r * ld + lo[part], hi[part] - lo[part], 0);
}

/* m rows of n floats from p, ld apart. */
static inline __attribute__((always_inline)) void fetch_write(float *p, size_t ld, int m, int n)
{
    for (int r = 0; r < m && n > 0; r++)
        FETCH_SPAN(p + (size_t)r * ld, n, 1);
}

/* Rows r0..r1-1 of the output block of n columns from o0 (the last may be narrower). wt: w is the transpose
 * (IN, OUT), whose block the tiles read in place (a narrower last block is copied, zero-padded, into the panel).
 * shared: h is shared with other cores (ownership of its rows asked ahead), and with first, the thread's first block,
 * so are the rows of in (fetched ahead). */
static inline __attribute__((always_inline)) void forward_block(int r0, int r1, int o0, float *a, float *h,
                                                                mlp_activation act, const float *in, const float *w,
                                                                const float *b, int IN, int OUT, int n, int tm,
                                                                int wt, int shared, int first, int s0, int s1)
{
    int no = imin(n, OUT - o0);
    float pack[KC * TN], tile[TMAX * TN], bias[TN];
    copy_padded(bias, b + o0, no, n);
    for (int k0 = 0; k0 < IN; k0 += KC) {
        int kc = imin(KC, IN - k0), last = k0 + kc == IN, in_place = wt && no == n;
        if (!wt)
            pack_transposed(pack, n, w + (size_t)o0 * IN + k0, (size_t)IN, no, kc);
        else if (!in_place)
            for (int k = 0; k < kc; k++)
                copy_padded(pack + k * n, w + (size_t)(k0 + k) * OUT + o0, no, n);
        if (shared && first)
            fetch_read(in, (size_t)IN, r0, r0 + tm, r1, k0, k0 + kc, s0, s1);
        if (shared && last && h)
            fetch_write(h + (size_t)r0 * OUT + o0, (size_t)OUT, imin(tm, r1 - r0), no);
        for (int r = r0; r < r1; r += tm) {
            int m = imin(tm, r1 - r);
            if (shared && first)
                fetch_read(in, (size_t)IN, r + tm, r + 2 * tm, r1, k0, k0 + kc, s0, s1);
            if (shared && last && h && r + tm < r1)
                fetch_write(h + (size_t)(r + tm) * OUT + o0, (size_t)OUT, imin(tm, r1 - r - tm), no);
            for (int i = 0; i < m && k0 > 0; i++)
                copy_padded(tile + i * n, a + (size_t)(r + i) * OUT + o0, no, n);
            if (in_place)
                tile_rows(tile, in + (size_t)r * IN + k0, (size_t)IN, 1, w + (size_t)k0 * OUT + o0, (size_t)OUT, kc,
                          m, n, k0 == 0);
            else
                tile_rows(tile, in + (size_t)r * IN + k0, (size_t)IN, 1, pack, (size_t)n, kc, m, n, k0 == 0);
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

/* mlp_forward_layer for output blocks of n columns and row tiles of tm rows (constants). MLP_TEAM: (row block,
 * output block) items, row block outermost, shared out by an orphaned omp for among the calling team;
 * MLP_TEAM_OUTS: every row of the thread's share of the outputs, no barrier (the caller's); else every item on
 * the calling thread, in one row block. */
static inline __attribute__((always_inline)) void forward_blocks(float *a, float *h, mlp_activation act,
                                                                 const float *in, const float *w, const float *b,
                                                                 int B, int IN, int OUT, int n, int tm, int team)
{
    int nob = (OUT + n - 1) / n, nrb = team == MLP_TEAM ? row_blocks(B, tm) : 1, rows = (B + nrb - 1) / nrb;
    if (team == MLP_TEAM) {
        #pragma omp for schedule(static)
        for (int item = 0; item < nrb * nob; item++)
            forward_block(item / nob * rows, imin(B, item / nob * rows + rows), item % nob * n, a, h, act, in, w,
                          b, IN, OUT, n, tm, 0, 0, 0, 0, 0);
    } else if (team == MLP_TEAM_OUTS) {
        int u0, u1, s0, s1; /* s0..s1-1: the inputs this thread wrote itself (a hidden layer's) */
        mlp_team_share(OUT, &u0, &u1);
        mlp_team_share(IN, &s0, &s1);
        for (int o0 = u0; o0 < u1; o0 += n)
            forward_block(0, B, o0, a, h, act, in, w, b, IN, OUT, n, tm, 0, 1, o0 == u0, s0, s1);
    } else
        for (int o0 = 0; o0 < OUT; o0 += n)
            forward_block(0, B, o0, a, h, act, in, w, b, IN, OUT, n, tm, 0, 0, 0, 0, 0);
}

/* in (B, IN), w (OUT, IN), b (OUT) -> a (B, OUT) = in w^T + b, and h (B, OUT) = act(a) unless h is NULL.
 * Work items are (row block, output block) pairs, row block outermost, shared out by an orphaned omp for:
 * inside a parallel region each thread takes its own run of them (its rows), outside one the caller does them
 * all.
 * Each item packs its block of w transposed, KC inputs at a time, on its stack (no allocation); partial sums
 * wait in a between panels. Narrow layers (a classifier's few outputs) take blocks of one vector and taller
 * row tiles, so fewer lanes compute padding. */
void mlp_forward_layer(float *a, float *h, mlp_activation act, const float *in, const float *w,
                       const float *b, int B, int IN, int OUT, int team)
{
    if (OUT <= TN / 2)
        forward_blocks(a, h, act, in, w, b, B, IN, OUT, TN / 2, TMAX, team);
    else
        forward_blocks(a, h, act, in, w, b, B, IN, OUT, TN, TM, team);
}

/* Blocks of TN outputs; a last block of up to TN / 2 (or a narrow layer's) one vector wide with taller tiles. */
void mlp_forward_layer_t(float *a, float *h, mlp_activation act, const float *in, const float *wt, const float *b,
                         int B, int IN, int OUT)
{
    int o0 = 0;
    for (; OUT - o0 > TN / 2; o0 += TN)
        forward_block(0, B, o0, a, h, act, in, wt, b, IN, OUT, TN, TM, 1, 0, 0, 0, 0);
    if (o0 < OUT)
        forward_block(0, B, o0, a, h, act, in, wt, b, IN, OUT, TN / 2, TMAX, 1, 0, 0, 0, 0);
}

int mlp_narrow_rows(void) { return TN; }

/* The logits of up to TN rows of a narrow layer, transposed: rows are the tile's vectorised axis and the outputs
 * its height (a tile of OUT x TN), so every lane does work where a block of outputs would leave most of a vector
 * idle, and the loss then reads whole vectors. The rows of in are packed transposed, KC inputs at a time; the
 * partial sums wait in zt between panels. */
void mlp_forward_narrow(float *zt, const float *in, const float *w, const float *b, int nr, int IN, int OUT)
{
    float pack[KC * TN];
    for (int k0 = 0; k0 < IN; k0 += KC) {
        int kc = imin(KC, IN - k0);
        pack_transposed(pack, TN, in + k0, (size_t)IN, nr, kc);
        tile_rows(zt, w + k0, (size_t)IN, 1, pack, TN, kc, OUT, TN, k0 == 0);
    }
    for (int o = 0; o < OUT; o++) {
        float bo = b[o];
        #pragma omp simd
        for (int j = 0; j < TN; j++)
            zt[o * TN + j] += bo;
    }
}

/* dout (B, OUT), in (B, IN) -> dw (OUT, IN) += dout^T in, db (OUT) += column sums of dout. Work items are
 * (input block of TN, output chunk of OC) pairs; each dw value is its old value plus the samples in order. The
 * tile broadcasts dout[r][o] down a column: when the chunk is only part of a dout row, the chunk's columns
 * are first copied, KC rows at a time, into a contiguous panel on the stack (dout rows OUT floats apart
 * would otherwise cost a cache line, and at 4 KiB strides a page, per sample), unless those rows fit in L1
 * (16 KiB: a small step's gradient, which every input block would pack again). No barrier at the end: the
 * caller's next work-sharing loop writes nothing this one reads. */
enum { OC = 4 * TM }; /* outputs per work item of mlp_backward_weights */

/* db (n <= OC) += the column sums of d (kc, n; rows ldd apart): one chain over the rows per output, in order,
 * from db (add) or from 0. With AVX-512 the sums stay in registers, one vector of sums per vector of outputs (masked
 * loads for the last), every row adding to all of them: a per-group array of sums went through the stack at every
 * row. */
static inline __attribute__((always_inline)) void bias_sums(float *db, const float *d, size_t ldd, int kc, int n,
                                                            int add)
{
#if defined(__AVX512F__)
    enum { NV = (OC + 15) / 16 };
    __m512 sum[NV];
    __mmask16 k[NV];
    for (int v = 0; v < NV; v++) {
        int m = n - 16 * v;
        k[v] = m >= 16 ? (__mmask16)0xffff : m > 0 ? (__mmask16)((1u << m) - 1) : 0;
        sum[v] = add ? _mm512_maskz_loadu_ps(k[v], db + 16 * v) : _mm512_setzero_ps();
    }
    for (int r = 0; r < kc; r++)
        for (int v = 0; v < NV; v++)
            sum[v] = _mm512_add_ps(sum[v], _mm512_maskz_loadu_ps(k[v], d + r * ldd + 16 * v));
    for (int v = 0; v < NV; v++)
        _mm512_mask_storeu_ps(db + 16 * v, k[v], sum[v]);
#else
    for (int o0 = 0; o0 < n; o0 += TMAX) {
        int m = imin(TMAX, n - o0);
        float sum[TMAX];
        for (int o = 0; o < TMAX; o++)
            sum[o] = o < m && add ? db[o0 + o] : 0;
        for (int r = 0; r < kc; r++)
            #pragma omp simd
            for (int o = 0; o < TMAX; o++)
                sum[o] += o < m ? d[r * ldd + o0 + o] : 0;
        for (int o = 0; o < m; o++)
            db[o0 + o] = sum[o];
    }
#endif
}

/* The block of inputs i0..i0+TN-1 (fewer at the end) and outputs c0..c0+nc-1 (nc <= OC); with f, the update of
 * its weights and biases once their gradients are complete, the weights' straight from the tile: dw then holds
 * only the partial sums of earlier panels (storing the finished tiles too took 6 % of the digits model's first
 * layer pass, 3.04 against 2.85 us). shared: other cores read these weights (ownership of the next rows asked
 * ahead). */
static inline __attribute__((always_inline)) void weights_item(int i0, int c0, int nc, float *dw, float *db,
                                                               const float *dout, const float *in, int B, int IN,
                                                               int OUT, int acc, const mlp_fold *f, int shared)
{
    int pack_dout = OUT > OC && imin(B, KC) * OUT > 4096;
    int ni = imin(TN, IN - i0);
    /* groups of outputs: TM, or all of a narrow layer's (up to TMAX) in one tile, which reads in once */
    int gh = !pack_dout && nc <= TMAX ? nc : TM;
    float xp[KC * TN], dp[OC * KC], tile[TMAX * TN];
    for (int r0 = 0; r0 < B; r0 += KC) {
        int kc = imin(KC, B - r0), update = f && r0 + kc == B; /* update: the gradients are complete */
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
        for (int g = 0; g < nc; g += gh) {
            int m = imin(gh, nc - g);
            const float *d = pack_dout ? dp + (size_t)g * kc : dout + (size_t)r0 * OUT + c0 + g;
            if (update && shared) { /* the weights the other core read for its input gradient */
                if (g == 0)
                    fetch_write(f->w + (size_t)c0 * IN + i0, (size_t)IN, m, ni);
                if (g + gh < nc)
                    fetch_write(f->w + (size_t)(c0 + g + gh) * IN + i0, (size_t)IN, imin(gh, nc - g - gh), ni);
            }
            for (int o = 0; o < m && (acc || r0); o++)
                copy_padded(tile + o * TN, dw + (size_t)(c0 + g + o) * IN + i0, ni, TN);
            if (pack_dout)
                tile_rows(tile, d, 1, TM, x, ldx, kc, m, TN, !(acc || r0));
            else
                tile_rows(tile, d, 1, (size_t)OUT, x, ldx, kc, m, TN, !(acc || r0));
            if (update) {
                size_t at = (size_t)(c0 + g) * IN + i0;
                float *mw = f->mw ? f->mw + at : NULL, *vw = f->vw ? f->vw + at : NULL;
                if (ni == TN) /* a constant width: straight vector code */
                    mlp_update_rows(f->u, f->w + at, mw, vw, (size_t)IN, tile, TN, m, TN);
                else
                    mlp_update_rows(f->u, f->w + at, mw, vw, (size_t)IN, tile, TN, m, (size_t)ni);
            } else
                for (int o = 0; o < m; o++)
                    copy_prefix(dw + (size_t)(c0 + g + o) * IN + i0, tile + o * TN, ni, TN);
        }
        if (i0 == 0 && db)
            bias_sums(db + c0, dout + (size_t)r0 * OUT + c0, (size_t)OUT, kc, nc, acc || r0);
        if (i0 == 0 && db && update)
            mlp_update_block(f->u, f->b + c0, f->mb ? f->mb + c0 : NULL, f->vb ? f->vb + c0 : NULL, db + c0,
                             (size_t)nc);
    }
}

/* team: MLP_TEAM: items shared out among the calling team; MLP_TEAM_OUTS: the rows of dw (and db) of the thread's
 * share of the outputs; MLP_TEAM_INS: the columns of dw of its share of the inputs (db with the first); no barrier
 * at the end. Else all on the calling thread. db may be NULL: no bias gradients. acc: add to dw and db, else
 * overwrite them (no zeroing pass needed). f: the update folded in (NULL: none). */
static inline __attribute__((always_inline)) void weights_pass(float *dw, float *db, const float *dout,
                                                               const float *in, int B, int IN, int OUT, int team,
                                                               int acc, const mlp_fold *f)
{
    int nib = (IN + TN - 1) / TN, noc = (OUT + OC - 1) / OC, u0 = 0, u1 = team == MLP_TEAM_OUTS ? OUT : IN;
    if (team == MLP_TEAM) {
        #pragma omp for schedule(static) nowait
        for (int item = 0; item < nib * noc; item++)
            weights_item(item / noc * TN, item % noc * OC, imin(OC, OUT - item % noc * OC), dw, db, dout, in, B,
                         IN, OUT, acc, f, 0);
        return;
    }
    if (team == MLP_TEAM_OUTS || team == MLP_TEAM_INS)
        mlp_team_share(u1, &u0, &u1);
    if (team == MLP_TEAM_OUTS)
        for (int i0 = 0; i0 < IN; i0 += TN)
            for (int c0 = u0; c0 < u1; c0 += OC)
                weights_item(i0, c0, imin(OC, u1 - c0), dw, db, dout, in, B, IN, OUT, acc, f, 1);
    else
        for (int i0 = u0; i0 < u1; i0 += TN)
            for (int c0 = 0; c0 < OUT; c0 += OC)
                weights_item(i0, c0, imin(OC, OUT - c0), dw, db, dout, in, B, IN, OUT, acc, f, team == MLP_TEAM_INS);
}

void mlp_backward_weights(float *dw, float *db, const float *dout, const float *in, int B, int IN, int OUT,
                          int team, int acc)
{
    weights_pass(dw, db, dout, in, B, IN, OUT, team, acc, NULL);
}

void mlp_backward_weights_update(float *dw, float *db, const float *dout, const float *in, int B, int IN, int OUT,
                                 int team, const mlp_fold *f)
{
    weights_pass(dw, db, dout, in, B, IN, OUT, team, 0, f);
}

/* mlp_backward_weights_update_t's block of n outputs from o0 (the last may be narrower) in tiles of tm inputs
 * (constants): each tile's chains run over all B rows in registers (B <= KC), the block's dout columns read in place
 * (those of a narrower block copied, zero-padded, into a panel) and its transposed weights updated straight from the
 * tile. */
static inline __attribute__((always_inline)) void weights_t(int o0, float *db, const float *dout, const float *in,
                                                            int B, int IN, int OUT, const mlp_fold *f, int n, int tm)
{
    float dp[KC * TN], tile[TMAX * TN];
    int no = imin(n, OUT - o0);
    const float *d = dout + o0;
    size_t ldd = (size_t)OUT;
    if (no < n) {
        for (int r = 0; r < B; r++)
            copy_padded(dp + r * n, dout + (size_t)r * OUT + o0, no, n);
        d = dp, ldd = (size_t)n;
    }
    for (int i0 = 0; i0 < IN; i0 += tm) {
        int m = imin(tm, IN - i0);
        size_t at = (size_t)i0 * OUT + o0;
        float *mw = f->mw ? f->mw + at : NULL, *vw = f->vw ? f->vw + at : NULL;
        tile_rows(tile, in + i0, 1, (size_t)IN, d, ldd, B, m, n, 1);
        if (no == n) /* a constant width: straight vector code */
            mlp_update_rows(f->u, f->w + at, mw, vw, (size_t)OUT, tile, n, m, n);
        else
            mlp_update_rows(f->u, f->w + at, mw, vw, (size_t)OUT, tile, n, m, (size_t)no);
    }
    bias_sums(db + o0, dout + o0, (size_t)OUT, B, no, 0);
    mlp_update_block(f->u, f->b + o0, f->mb ? f->mb + o0 : NULL, f->vb ? f->vb + o0 : NULL, db + o0, (size_t)no);
}

/* Rows of wt a multiple of 4 KiB apart share the L1's sets, and the in-place tiles measured slower there (64 x 1024:
 * forward 26.0 against 24.7 us, gradient and update 29.8 against 24.8); so did the gradient of a narrow layer (16
 * outputs: tiles one vector wide). */
int mlp_transposed_shape(int B, int IN, int OUT)
{
    return B <= KC && OUT > TN / 2 && OUT % 1024 != 0 && (long)IN * OUT <= MLP_TRANSPOSED_MAX;
}

/* Blocks as mlp_forward_layer_t's. */
void mlp_backward_weights_update_t(float *db, const float *dout, const float *in, int B, int IN, int OUT,
                                   const mlp_fold *f)
{
    int o0 = 0;
    for (; OUT - o0 > TN / 2; o0 += TN)
        weights_t(o0, db, dout, in, B, IN, OUT, f, TN, TM);
    if (o0 < OUT)
        weights_t(o0, db, dout, in, B, IN, OUT, f, TN / 2, TMAX);
}

void mlp_transpose(float *dst, const float *src, int rows, int cols)
{
    pack_transposed(dst, rows, src, (size_t)cols, rows, cols);
}

/* dout (B, OUT), w (OUT, IN) -> din (B, IN) = dout w, times act'(a) when h is not NULL (a, h (B, IN) of the
 * layer below). Work items are (row block, input block of TN) pairs, row block outermost as in mlp_forward_layer.
 * The tiles read their columns of w in place when they fit in L1 (OUT <= KC); otherwise, and for the last,
 * narrow block, each item copies them KC outputs at a time into a contiguous panel on the stack, and partial
 * sums wait in din between panels. Each din value is one sum over the outputs in order. Ends with the barrier
 * that the layer below waits on. write_ahead: din is shared with other cores (ownership of its next rows asked
 * ahead); read_ahead: the rows of dout but for the own s0..s1-1 come from other cores (fetched ahead). */
static inline __attribute__((always_inline)) void input_item(int r0, int r1, int i0, float *din,
                                                             const float *a, const float *h, mlp_activation act,
                                                             const float *dout, const float *w, int IN, int OUT,
                                                             int write_ahead, int read_ahead, int s0, int s1)
{
    int ni = imin(TN, IN - i0);
    int pack_w = OUT > KC || ni < TN;
    float pack[KC * TN], tile[TMAX * TN]; /* TMAX: tile_rows has a case for every height */
    for (int k0 = 0; k0 < OUT; k0 += KC) {
        int kc = imin(KC, OUT - k0), last = k0 + kc == OUT;
        if (pack_w)
            for (int k = 0; k < kc; k++)
                copy_padded(pack + k * TN, w + (size_t)(k0 + k) * IN + i0, ni, TN);
        const float *p = pack_w ? pack : w + (size_t)k0 * IN + i0;
        size_t ldp = pack_w ? TN : (size_t)IN;
        if (read_ahead)
            fetch_read(dout, (size_t)OUT, r0, r0 + TM, r1, k0, k0 + kc, s0, s1);
        if (write_ahead && last)
            fetch_write(din + (size_t)r0 * IN + i0, (size_t)IN, imin(TM, r1 - r0), ni);
        for (int r = r0; r < r1; r += TM) {
            int m = imin(TM, r1 - r);
            if (read_ahead)
                fetch_read(dout, (size_t)OUT, r + TM, r + 2 * TM, r1, k0, k0 + kc, s0, s1);
            if (write_ahead && last && r + TM < r1)
                fetch_write(din + (size_t)(r + TM) * IN + i0, (size_t)IN, imin(TM, r1 - r - TM), ni);
            for (int i = 0; i < m && k0 > 0; i++)
                copy_padded(tile + i * TN, din + (size_t)(r + i) * IN + i0, ni, TN);
            tile_rows(tile, dout + (size_t)r * OUT + k0, (size_t)OUT, 1, p, ldp, kc, m, TN, k0 == 0);
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

/* team: MLP_TEAM: items shared out among the calling team, then a barrier; MLP_TEAM_INS: every row of the
 * thread's share of the inputs, no barrier; else all on the calling thread in one row block. */
void mlp_backward_input(float *din, const float *a, const float *h, mlp_activation act, const float *dout,
                        const float *w, int B, int IN, int OUT, int team)
{
    int nib = (IN + TN - 1) / TN, nrb = team == MLP_TEAM ? row_blocks(B, TM) : 1, rows = (B + nrb - 1) / nrb;
    int u0 = 0, u1 = IN;
    if (team == MLP_TEAM) {
        #pragma omp for schedule(static)
        for (int item = 0; item < nrb * nib; item++)
            input_item(item / nib * rows, imin(B, item / nib * rows + rows), item % nib * TN, din, a, h, act, dout,
                       w, IN, OUT, 0, 0, 0, 0);
        return;
    }
    int s0 = 0, s1 = 0, ins = team == MLP_TEAM_INS; /* s0..s1-1: the outputs whose gradients this thread wrote */
    if (ins) {
        mlp_team_share(IN, &u0, &u1);
        mlp_team_share(OUT, &s0, &s1);
    }
    for (int i0 = u0; i0 < u1; i0 += TN)
        input_item(0, B, i0, din, a, h, act, dout, w, IN, OUT, ins, ins && i0 == u0, s0, s1);
}

void mlp_linear_forward(float *out, const float *in, const float *w, const float *b, int B, int IN, int OUT)
{
    int nt = pass_threads((long)B * IN * OUT);
    if (nt > 1) {
        #pragma omp parallel num_threads(nt)
        mlp_forward_layer(out, NULL, MLP_RELU, in, w, b, B, IN, OUT, 1);
    } else
        mlp_forward_layer(out, NULL, MLP_RELU, in, w, b, B, IN, OUT, 1);
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
    mlp_backward_weights(dw, db, dout, in, B, IN, OUT, 1, 1);
    if (din)
        mlp_backward_input(din, NULL, NULL, MLP_RELU, dout, w, B, IN, OUT, 1);
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
