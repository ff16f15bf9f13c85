"""CUDA C++ source of the CuPy backend's hand-written kernels, kept apart so it can be checked.

The source is compiled on the GPU by NVRTC (through ``cupy.RawModule``) and, for tests on
machines without a GPU, by a host C++ compiler through :mod:`lucid_cupy._emulator`, which runs
the very same kernels on the CPU. It therefore sticks to a small, portable subset of CUDA C++:
no headers, no warp intrinsics and no atomics; only ``blockIdx``/``blockDim``/``threadIdx``/
``gridDim``, ``__shared__`` arrays and ``__syncthreads()``.

Conventions shared by every kernel:

* ``T`` is ``float`` or ``double``; every array is C-contiguous (the Python wrappers make
  sure of it) and NCHW.
* Element indices are 32-bit ``int``. The Python side sends arrays of 2**31 elements or more
  to the generic array-module path instead, so no index here can overflow.
* Element-wise kernels use a grid-stride loop, so any grid size is correct; the launcher
  only picks one that fills the GPU.
* Backward passes *gather*: one thread per input element sums the output positions that
  read it, so results are deterministic (no atomics) and each element is written once.
* Reductions accumulate in ``double`` and reduce in shared memory with a fixed block size
  of ``LUCID_BLOCK`` threads, which the launcher must use for them.
"""

from __future__ import annotations

#: Threads per block for every launch; the shared-memory reductions rely on this exact size.
BLOCK = 256

#: The kernels and the element types each is instantiated for.
KERNELS = (
    "lucid_im2col",
    "lucid_col2im",
    "lucid_max_pool_fwd",
    "lucid_max_pool_bwd",
    "lucid_avg_pool_fwd",
    "lucid_avg_pool_bwd",
    "lucid_bn_stats",
    "lucid_bn_finalize",
    "lucid_bn_apply",
    "lucid_bn_grad_stats",
    "lucid_bn_grad_finalize",
    "lucid_bn_grad_apply",
)
#: C++ element types the kernels are instantiated for, keyed by NumPy dtype name.
CTYPES = {"float32": "float", "float64": "double"}

SOURCE = r"""
#define LUCID_BLOCK 256

// Grid-stride loops: thread t of the grid visits t, t + gridsize, t + 2*gridsize, ...
// The counter is 64-bit so the increment cannot overflow; each index fits in an int.
__device__ inline long long lucid_first()
{
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ inline long long lucid_stride()
{
    return (long long)blockDim.x * gridDim.x;
}

// ---------------------------------------------------------------- convolution helpers

// cols[c, i, j, n, oh, ow] = x[n, c, oh*SH - PH + i*DH, ow*SW - PW + j*DW], 0 outside x.
template <typename T>
__global__ void lucid_im2col(const T* __restrict__ x, T* __restrict__ cols,
                             int N, int C, int H, int W, int KH, int KW, int SH, int SW,
                             int PH, int PW, int DH, int DW, int HO, int WO, int total)
{
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int ow = idx % WO;
        int t = idx / WO;
        int oh = t % HO;
        t /= HO;
        int n = t % N;
        t /= N;
        int j = t % KW;
        t /= KW;
        int i = t % KH;
        int c = t / KH;
        int h = oh * SH - PH + i * DH;
        int w = ow * SW - PW + j * DW;
        T v = T(0);
        if (h >= 0 && h < H && w >= 0 && w < W) {
            v = x[((n * C + c) * H + h) * W + w];
        }
        cols[idx] = v;
    }
}

// The adjoint of lucid_im2col: gx[n, c, h, w] = sum of cols entries that im2col copied
// from x[n, c, h, w]. One thread per input element; taps visited in (i, j) order.
template <typename T>
__global__ void lucid_col2im(const T* __restrict__ cols, T* __restrict__ gx,
                             int N, int C, int H, int W, int KH, int KW, int SH, int SW,
                             int PH, int PW, int DH, int DW, int HO, int WO, int total)
{
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int w = idx % W;
        int t = idx / W;
        int h = t % H;
        t /= H;
        int c = t % C;
        int n = t / C;
        T acc = T(0);
        for (int i = 0; i < KH; ++i) {
            int hh = h + PH - i * DH;  // = oh * SH for the output row that reads (h, tap i)
            if (hh < 0) break;         // hh only decreases with i
            if (hh % SH != 0) continue;
            int oh = hh / SH;
            if (oh >= HO) continue;
            for (int j = 0; j < KW; ++j) {
                int ww = w + PW - j * DW;
                if (ww < 0) break;
                if (ww % SW != 0) continue;
                int ow = ww / SW;
                if (ow >= WO) continue;
                acc += cols[((((c * KH + i) * KW + j) * N + n) * HO + oh) * WO + ow];
            }
        }
        gx[idx] = acc;
    }
}

// ------------------------------------------------------------------------- pooling

// Max pooling; taps outside x count as `lowest` (minus infinity). argmax holds the tap
// index i*KW + j of the first maximum in (i, j) order; tap 0 seeds the search, so a NaN
// there propagates, as in the NumPy kernel.
template <typename T>
__global__ void lucid_max_pool_fwd(const T* __restrict__ x, T* __restrict__ y,
                                   int* __restrict__ argmax,
                                   int H, int W, int KH, int KW, int SH, int SW,
                                   int PH, int PW, int HO, int WO, T lowest, int total)
{
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int ow = idx % WO;
        int t = idx / WO;
        int oh = t % HO;
        int nc = t / HO;
        const T* plane = x + nc * H * W;
        T best = lowest;
        int arg = 0;
        for (int i = 0; i < KH; ++i) {
            int h = oh * SH - PH + i;
            for (int j = 0; j < KW; ++j) {
                int w = ow * SW - PW + j;
                T v = (h >= 0 && h < H && w >= 0 && w < W) ? plane[h * W + w] : lowest;
                if ((i == 0 && j == 0) || v > best) {
                    best = v;
                    arg = i * KW + j;
                }
            }
        }
        y[idx] = best;
        argmax[idx] = arg;
    }
}

// Gradient of max pooling: gx[n, c, h, w] sums gy over the windows whose argmax is (h, w).
template <typename T>
__global__ void lucid_max_pool_bwd(const T* __restrict__ gy, const int* __restrict__ argmax,
                                   T* __restrict__ gx,
                                   int H, int W, int KH, int KW, int SH, int SW,
                                   int PH, int PW, int HO, int WO, int total)
{
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int w = idx % W;
        int t = idx / W;
        int h = t % H;
        int nc = t / H;
        T acc = T(0);
        for (int i = 0; i < KH; ++i) {
            int hh = h + PH - i;
            if (hh < 0) break;
            if (hh % SH != 0) continue;
            int oh = hh / SH;
            if (oh >= HO) continue;
            for (int j = 0; j < KW; ++j) {
                int ww = w + PW - j;
                if (ww < 0) break;
                if (ww % SW != 0) continue;
                int ow = ww / SW;
                if (ow >= WO) continue;
                int o = (nc * HO + oh) * WO + ow;
                if (argmax[o] == i * KW + j) acc += gy[o];
            }
        }
        gx[idx] = acc;
    }
}

// Average pooling; zero padding counts in the divisor (KH*KW).
template <typename T>
__global__ void lucid_avg_pool_fwd(const T* __restrict__ x, T* __restrict__ y,
                                   int H, int W, int KH, int KW, int SH, int SW,
                                   int PH, int PW, int HO, int WO, int total)
{
    const T inv_area = T(1) / T(KH * KW);
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int ow = idx % WO;
        int t = idx / WO;
        int oh = t % HO;
        int nc = t / HO;
        const T* plane = x + nc * H * W;
        T acc = T(0);
        for (int i = 0; i < KH; ++i) {
            int h = oh * SH - PH + i;
            if (h < 0 || h >= H) continue;
            for (int j = 0; j < KW; ++j) {
                int w = ow * SW - PW + j;
                if (w >= 0 && w < W) acc += plane[h * W + w];
            }
        }
        y[idx] = acc * inv_area;
    }
}

// Gradient of average pooling: every window covering (h, w) passes on gy / (KH*KW).
template <typename T>
__global__ void lucid_avg_pool_bwd(const T* __restrict__ gy, T* __restrict__ gx,
                                   int H, int W, int KH, int KW, int SH, int SW,
                                   int PH, int PW, int HO, int WO, int total)
{
    const T inv_area = T(1) / T(KH * KW);
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int w = idx % W;
        int t = idx / W;
        int h = t % H;
        int nc = t / H;
        T acc = T(0);
        for (int i = 0; i < KH; ++i) {
            int hh = h + PH - i;
            if (hh < 0) break;
            if (hh % SH != 0) continue;
            int oh = hh / SH;
            if (oh >= HO) continue;
            for (int j = 0; j < KW; ++j) {
                int ww = w + PW - j;
                if (ww < 0) break;
                if (ww % SW != 0) continue;
                int ow = ww / SW;
                if (ow >= WO) continue;
                acc += gy[(nc * HO + oh) * WO + ow];
            }
        }
        gx[idx] = acc * inv_area;
    }
}

// ----------------------------------------------------------------- batch normalisation
// x is viewed as (N, C, L). Statistics are per channel over the N*L values; a grid of
// (S, C) blocks splits each channel's values into S slices, and each block writes the two
// partial sums of its slice to partial[(c*S + s)*2 + {0, 1}] (doubles).

// Sum the two per-thread accumulators over the block; thread 0 writes them out.
__device__ void lucid_block_sum2(double a, double b, double* out)
{
    __shared__ double sa[LUCID_BLOCK];
    __shared__ double sb[LUCID_BLOCK];
    sa[threadIdx.x] = a;
    sb[threadIdx.x] = b;
    __syncthreads();
    for (int step = LUCID_BLOCK / 2; step > 0; step >>= 1) {
        if ((int)threadIdx.x < step) {
            sa[threadIdx.x] += sa[threadIdx.x + step];
            sb[threadIdx.x] += sb[threadIdx.x + step];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[0] = sa[0];
        out[1] = sb[0];
    }
}

// partial sums of x and x*x for channel blockIdx.y, slice blockIdx.x.
template <typename T>
__global__ void lucid_bn_stats(const T* __restrict__ x, double* __restrict__ partial,
                               int N, int C, int L)
{
    const int c = blockIdx.y;
    const int s = blockIdx.x;
    const int S = gridDim.x;
    const int M = N * L;
    double a = 0.0, b = 0.0;
    for (int k = s * LUCID_BLOCK + (int)threadIdx.x; k < M; k += S * LUCID_BLOCK) {
        int n = k / L;
        int l = k - n * L;
        double v = (double)x[(n * C + c) * L + l];
        a += v;
        b += v * v;
    }
    lucid_block_sum2(a, b, partial + 2 * (c * S + s));
}

// Per channel: mean, invstd = 1/sqrt(var + eps) (biased variance) and the affine scale
// gamma*invstd and shift beta (gamma = 1, beta = 0 when absent).
template <typename T>
__global__ void lucid_bn_finalize(const double* __restrict__ partial,
                                  const T* __restrict__ gamma, const T* __restrict__ beta,
                                  T* __restrict__ mean, T* __restrict__ invstd,
                                  T* __restrict__ scale, T* __restrict__ shift,
                                  int C, int S, double count, double eps,
                                  int has_gamma, int has_beta)
{
    for (long long pos = lucid_first(); pos < C; pos += lucid_stride()) {
        const int c = (int)pos;
        double sum = 0.0, sumsq = 0.0;
        for (int s = 0; s < S; ++s) {
            sum += partial[2 * (c * S + s)];
            sumsq += partial[2 * (c * S + s) + 1];
        }
        double mu = sum / count;
        double var = sumsq / count - mu * mu;  // accumulated in double: cancellation is mild
        if (var < 0.0) var = 0.0;
        double inv = 1.0 / sqrt(var + eps);
        double g = has_gamma ? (double)gamma[c] : 1.0;
        mean[c] = (T)mu;
        invstd[c] = (T)inv;
        scale[c] = (T)(g * inv);
        shift[c] = has_beta ? beta[c] : T(0);
    }
}

// y = (x - mean[c]) * scale[c] + shift[c]
template <typename T>
__global__ void lucid_bn_apply(const T* __restrict__ x, const T* __restrict__ mean,
                               const T* __restrict__ scale, const T* __restrict__ shift,
                               T* __restrict__ y, int C, int L, int total)
{
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int c = (idx / L) % C;
        y[idx] = (x[idx] - mean[c]) * scale[c] + shift[c];
    }
}

// partial sums of gy and gy*(x - mean) for channel blockIdx.y, slice blockIdx.x.
template <typename T>
__global__ void lucid_bn_grad_stats(const T* __restrict__ gy, const T* __restrict__ x,
                                    const T* __restrict__ mean, double* __restrict__ partial,
                                    int N, int C, int L)
{
    const int c = blockIdx.y;
    const int s = blockIdx.x;
    const int S = gridDim.x;
    const int M = N * L;
    const double mu = (double)mean[c];
    double a = 0.0, b = 0.0;
    for (int k = s * LUCID_BLOCK + (int)threadIdx.x; k < M; k += S * LUCID_BLOCK) {
        int n = k / L;
        int l = k - n * L;
        int e = (n * C + c) * L + l;
        double g = (double)gy[e];
        a += g;
        b += g * ((double)x[e] - mu);
    }
    lucid_block_sum2(a, b, partial + 2 * (c * S + s));
}

// Per channel, with xhat = (x - mean)*invstd, M = count and scale = gamma*invstd:
//   gbeta = sum(gy), ggamma = sum(gy*xhat),
//   gx = scale*gy - scale*gbeta/M - scale*invstd*ggamma/M * (x - mean)
// stored as the coefficients k_gy = scale, k_xc = -scale*invstd*ggamma/M, k_0 = -scale*gbeta/M.
template <typename T>
__global__ void lucid_bn_grad_finalize(const double* __restrict__ partial,
                                       const T* __restrict__ gamma,
                                       const T* __restrict__ invstd,
                                       T* __restrict__ ggamma, T* __restrict__ gbeta,
                                       T* __restrict__ k_gy, T* __restrict__ k_xc,
                                       T* __restrict__ k_0, int C, int S, double count,
                                       int has_gamma)
{
    for (long long pos = lucid_first(); pos < C; pos += lucid_stride()) {
        const int c = (int)pos;
        double sgy = 0.0, sgxc = 0.0;
        for (int s = 0; s < S; ++s) {
            sgy += partial[2 * (c * S + s)];
            sgxc += partial[2 * (c * S + s) + 1];
        }
        double inv = (double)invstd[c];
        double gg = sgxc * inv;
        double sc = (has_gamma ? (double)gamma[c] : 1.0) * inv;
        ggamma[c] = (T)gg;
        gbeta[c] = (T)sgy;
        k_gy[c] = (T)sc;
        k_xc[c] = (T)(-sc * inv * gg / count);
        k_0[c] = (T)(-sc * sgy / count);
    }
}

// gx = k_gy[c]*gy + k_xc[c]*(x - mean[c]) + k_0[c]
template <typename T>
__global__ void lucid_bn_grad_apply(const T* __restrict__ gy, const T* __restrict__ x,
                                    const T* __restrict__ mean, const T* __restrict__ k_gy,
                                    const T* __restrict__ k_xc, const T* __restrict__ k_0,
                                    T* __restrict__ gx, int C, int L, int total)
{
    for (long long pos = lucid_first(); pos < total; pos += lucid_stride()) {
        const int idx = (int)pos;
        int c = (idx / L) % C;
        gx[idx] = k_gy[c] * gy[idx] + k_xc[c] * (x[idx] - mean[c]) + k_0[c];
    }
}
"""


def name_expression(kernel: str, dtype_name: str) -> str:
    """The C++ name of one instantiation, e.g. ``lucid_im2col<float>``."""
    try:
        ctype = CTYPES[dtype_name]
    except KeyError:
        raise TypeError(f"the CUDA kernels support dtypes {sorted(CTYPES)}, got {dtype_name!r}")\
            from None
    if kernel not in KERNELS:
        raise KeyError(f"unknown kernel {kernel!r}; expected one of {KERNELS}")
    return f"{kernel}<{ctype}>"


def name_expressions() -> list[str]:
    """Every instantiation the backend uses: each kernel for each supported dtype."""
    return [name_expression(k, d) for k in KERNELS for d in CTYPES]
