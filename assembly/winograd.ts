// Convolution by Winograd's minimal filtering F(m×m, r×r) (winograd-transforms.ts): stride 1,
// a zero padding of `pad` pixels on every side (0 for the forward pass; r-1 for the input gradient,
// which is the full convolution of doutput with the flipped kernel), NHWC, inC and outC multiples
// of 4. Instead of r² multiply-adds per output and channel pair there are n²/m² (F(2x2,5x5): 9
// instead of 25; F(4x4,3x3): 2.25 instead of 9), done as n² GEMMs over the transform domain:
//   forward:  M[e] = V[e] · U[e]        V[e]: [tiles, inC]  U[e]: [inC, outC]   then Y = Aᵀ M A
//   weights:  dU[e] = V[e]ᵀ · Z[e]      Z = A dY Aᵀ         then dW += Gᵀ dU G
// for e over the n² elements of a tile. Tiles cover the output m×m at a time; the parts of edge
// tiles past the output are computed and dropped.
//
// Layouts (f32, pointers are byte offsets):
//   U      [n², inC, outC]              the transformed kernel (winogradTransformKernel)
//   V, Z   [tiles, n², inC] / [.., outC] tile-major, so that a thread's slice of images is a slice
//                                       (winogradGradientOperands)
//   dU     [n², inC, outC]
import { inputTransform, inputTransformAdjoint, inputTransformClipped, kernelSide, matrixG, matrixGT, outputTransform, outputTransformAdjoint, sandwich, tileIn, tileOut } from './winograd-transforms';
import { gemmNN, gemmNT, gemmPackFloats, gemmTN } from './gemm';
import { reluLanes } from './simd';

/** Tiles whose transforms are computed at once in the forward pass (≤ gemm.ts's DIRECT_B_ROWS: U is read in place). */
const TILE_BLOCK: i32 = 32;
/**
 * Floats between consecutive n² planes of a block beyond the plane itself. A transform writes or
 * reads one vector in each of the n² planes; with planes a multiple of 4 KiB apart (32 tiles × 32
 * channels) all n² fall in one L1 set and evict each other: 64 bytes more apart spreads them.
 */
const PLANE_PAD: i32 = 16;

/** Floats of per-thread scratch winogradForward needs. */
export function winogradScratchFloats(inC: i32, outC: i32, variant: i32): i32 {
  const n = tileIn(variant);
  // V and M blocks, two tiles of v128 temporaries, the GEMM's packing scratch.
  return n * n * (TILE_BLOCK * (inC + outC) + 2 * PLANE_PAD) + 2 * n * n * 4 + max(gemmPackFloats(inC, outC), gemmPackFloats(outC, inC));
}

/**
 * U[e, c, k] = (G g Gᵀ)[e] for g = weights[:, :, c, k] ([r, r, inC, outC], Keras's layout). With
 * flip = 1, the kernel of the input gradient instead: U[e, k, c] from weights[r-1-ky, r-1-kx, c, k]
 * (the kernel rotated by 180° with the channel roles swapped). Overwrites U for the channels
 * firstChannel .. firstChannel + channelCount: input channels c (flip 0) or output channels k
 * (flip 1), so that threads can take ranges (each filter's transform is its own).
 */
export function winogradTransformKernel(weights: usize, u: usize, pack: usize, inC: i32, outC: i32, flip: i32, variant: i32, firstChannel: i32, channelCount: i32): void {
  const n = tileIn(variant);
  const r = kernelSide(variant);
  const g = matrixG(variant);
  const e = <usize>inC * <usize>outC << 2; // bytes between the n² planes of U
  const tap = <usize>inC * <usize>outC << 2; // bytes between kernel taps
  const gather = pack; // r×r v128s, for the flipped (strided) reads
  const tmp = gather + (<usize>(r * r) << 4);
  if (!flip) {
    // Four output channels per vector: weights[ky, kx, c, k..k+4] are contiguous.
    for (let c = firstChannel; c < firstChannel + channelCount; c++) {
      for (let k = 0; k < outC; k += 4) {
        const src = weights + (<usize>(c * outC + k) << 2);
        sandwich(g, n, g, n, r, r, src, <usize>r * tap, tap, tmp, u + (<usize>(c * outC + k) << 2), <usize>n * e, e);
      }
    }
    return;
  }
  // U[e, k, c..c+4]: the four input channels sit outC floats apart, so gather them first.
  for (let k = firstChannel; k < firstChannel + channelCount; k++) {
    for (let c = 0; c < inC; c += 4) {
      for (let ky = 0; ky < r; ky++) {
        for (let kx = 0; kx < r; kx++) {
          const src = weights + <usize>((r - 1 - ky) * r + (r - 1 - kx)) * tap + (<usize>(c * outC + k) << 2);
          const v = f32x4(load<f32>(src), load<f32>(src + (<usize>outC << 2)), load<f32>(src + (<usize>(2 * outC) << 2)), load<f32>(src + (<usize>(3 * outC) << 2)));
          v128.store(gather + (<usize>(ky * r + kx) << 4), v);
        }
      }
      sandwich(g, n, g, n, r, r, gather, <usize>r << 4, 16, tmp, u + (<usize>(k * inC + c) << 2), <usize>n * e, e);
    }
  }
}

/** Copies the n×n×4 input tile whose top-left input pixel is (y0, x0) of image b into tile, zeros outside the image. */
// @ts-ignore: decorator
@inline
function loadTile(input: usize, b: i32, y0: i32, x0: i32, c: i32, n: i32, height: i32, width: i32, channels: i32, tile: usize): void {
  for (let i = 0; i < n; i++) {
    const y = y0 + i;
    for (let j = 0; j < n; j++) {
      const x = x0 + j;
      const dst = tile + (<usize>(i * n + j) << 4);
      if (y >= 0 && y < height && x >= 0 && x < width) v128.store(dst, v128.load(input + (<usize>(((b * height + y) * width + x) * channels + c) << 2)));
      else v128.store(dst, f32x4.splat(0));
    }
  }
}

/**
 * output[batch, outH, outW, outC] = act(conv(input zero-padded by `pad`, kernel) + bias), act =
 * ReLU when relu = 1; bias 0 means none. input [batch, height, width, inC]; outH = height + 2·pad
 * - r + 1 (likewise outW); u from winogradTransformKernel. Overwrites output. `pack`:
 * winogradScratchFloats floats, per thread.
 */
export function winogradForward(input: usize, u: usize, bias: usize, output: usize, pack: usize, batch: i32, height: i32, width: i32, inC: i32, outH: i32, outW: i32, outC: i32, pad: i32, relu: i32, variant: i32): void {
  if (batch <= 0 || outH <= 0 || outW <= 0) return;
  const m = tileOut(variant);
  const n = tileIn(variant);
  const nn = n * n;
  const th = (outH + m - 1) / m;
  const tw = (outW + m - 1) / m;
  const perImage = th * tw;
  const tiles = batch * perImage;
  const vBlock = pack;
  const vPlane = <usize>(TILE_BLOCK * inC + PLANE_PAD) << 2; // bytes between V's n² planes in the block
  const mPlane = <usize>(TILE_BLOCK * outC + PLANE_PAD) << 2;
  const mBlock = vBlock + <usize>nn * vPlane;
  const tile = mBlock + <usize>nn * mPlane;
  const tmp = tile + (<usize>nn << 4);
  const gemmPack = tmp + (<usize>nn << 4);
  const zero = f32x4.splat(0);
  for (let t0 = 0; t0 < tiles; t0 += TILE_BLOCK) {
    const count = min(TILE_BLOCK, tiles - t0);
    // V[e, t, c] = (Bᵀ d B)[e] for the block's tiles.
    for (let t = 0; t < count; t++) {
      const index = t0 + t;
      const b = index / perImage;
      const rest = index - b * perImage;
      const ty = rest / tw;
      const tx = rest - ty * tw;
      const y0 = ty * m - pad;
      const x0 = tx * m - pad;
      // Tiles that start inside the image are read in place (those past its bottom or right edge
      // clipped, zeros beyond); the others (padding above or left) through a zero-padded copy.
      const inside = y0 >= 0 && x0 >= 0 && y0 + n <= height && x0 + n <= width;
      const clipped = y0 >= 0 && x0 >= 0 && !inside;
      const rows = min(n, height - y0), cols = min(n, width - x0);
      const origin = input + (<usize>(((b * height + y0) * width + x0) * inC) << 2);
      for (let c = 0; c < inC; c += 4) {
        const dst = vBlock + (<usize>(t * inC + c) << 2);
        if (inside) {
          inputTransform(variant, origin + (<usize>c << 2), <usize>(width * inC) << 2, <usize>inC << 2, tmp, dst, <usize>n * vPlane, vPlane);
        } else if (clipped) {
          inputTransformClipped(variant, origin + (<usize>c << 2), <usize>(width * inC) << 2, <usize>inC << 2, rows, cols, tmp, dst, <usize>n * vPlane, vPlane);
        } else {
          loadTile(input, b, y0, x0, c, n, height, width, inC, tile);
          inputTransform(variant, tile, <usize>n << 4, 16, tmp, dst, <usize>n * vPlane, vPlane);
        }
      }
    }
    // M[e] = V[e] · U[e]: n² GEMMs of count×inC by inC×outC.
    for (let e = 0; e < nn; e++) {
      gemmNN(vBlock + <usize>e * vPlane, u + (<usize>(e * inC * outC) << 2), mBlock + <usize>e * mPlane, count, inC, outC, inC, outC, outC, 0, gemmPack);
    }
    // Y = Aᵀ M A, plus bias and ReLU, into the output (edge tiles clipped).
    for (let t = 0; t < count; t++) {
      const index = t0 + t;
      const b = index / perImage;
      const rest = index - b * perImage;
      const ty = rest / tw;
      const tx = rest - ty * tw;
      for (let k = 0; k < outC; k += 4) {
        outputTransform(variant, mBlock + (<usize>(t * outC + k) << 2), <usize>n * mPlane, mPlane, tmp, tile);
        const bk = bias ? v128.load(bias + (<usize>k << 2)) : zero;
        for (let i = 0; i < m; i++) {
          const y = ty * m + i;
          if (y >= outH) break;
          for (let j = 0; j < m; j++) {
            const x = tx * m + j;
            if (x >= outW) break;
            let v = f32x4.add(v128.load(tile + (<usize>(i * m + j) << 4)), bk);
            if (relu) v = reluLanes(v);
            v128.store(output + (<usize>(((b * outH + y) * outW + x) * outC + k) << 2), v);
          }
        }
      }
    }
  }
}

/**
 * dinput[batch, height, width, inC] = the input gradient of winogradForward (pad 0), as its exact
 * adjoint: for each tile, dV[e] = Σ_k Z[t, e, k]·U[e, c, k] (n² GEMMs per block of tiles), then
 * d = B dV Bᵀ scattered back onto the tile's n×n pixels (neighbouring tiles overlap by r - 1, and
 * what falls past the image is dropped). z from winogradGradientOperands (tile-major, `tiles` per
 * image, `elements` = n²), u from winogradTransformKernel. Overwrites dinput. pack: per thread.
 */
export function winogradInputGradient(z: usize, u: usize, dinput: usize, pack: usize, batch: i32, height: i32, width: i32, inC: i32, outH: i32, outW: i32, outC: i32, tiles: i32, elements: i32, variant: i32): void {
  if (batch <= 0) return;
  const m = tileOut(variant);
  const n = tileIn(variant);
  const nn = elements;
  const th = (outH + m - 1) / m;
  const tw = tiles / th;
  const total = batch * tiles;
  const dvBlock = pack;
  const dvPlane = <usize>(TILE_BLOCK * inC + PLANE_PAD) << 2;
  const tile = dvBlock + <usize>nn * dvPlane;
  const tmp = tile + (<usize>nn << 4);
  const gemmPack = tmp + (<usize>nn << 4);
  memory.fill(dinput, 0, <usize>batch * <usize>height * <usize>width * <usize>inC << 2);
  for (let t0 = 0; t0 < total; t0 += TILE_BLOCK) {
    const count = min(TILE_BLOCK, total - t0);
    // dV[e] = Z[e] · U[e]ᵀ: count×outC by (inC×outC)ᵀ, Z's rows n²·outC floats apart.
    for (let e = 0; e < nn; e++) {
      gemmNT(z + (<usize>((t0 * nn + e) * outC) << 2), u + (<usize>(e * inC * outC) << 2), dvBlock + <usize>e * dvPlane, count, outC, inC, nn * outC, outC, inC, 0, gemmPack);
    }
    for (let t = 0; t < count; t++) {
      const index = t0 + t;
      const b = index / tiles;
      const rest = index - b * tiles;
      const ty = rest / tw;
      const tx = rest - ty * tw;
      for (let c = 0; c < inC; c += 4) {
        inputTransformAdjoint(variant, dvBlock + (<usize>(t * inC + c) << 2), <usize>n * dvPlane, dvPlane, tmp, tile);
        for (let i = 0; i < n; i++) {
          const y = ty * m + i;
          if (y >= height) break;
          for (let j = 0; j < n; j++) {
            const x = tx * m + j;
            if (x >= width) break;
            const p = dinput + (<usize>(((b * height + y) * width + x) * inC + c) << 2);
            v128.store(p, f32x4.add(v128.load(p), v128.load(tile + (<usize>(i * n + j) << 4))));
          }
        }
      }
    }
  }
}

/** Tiles per image for an output of outH×outW: the operands' leading count. */
export function winogradTiles(outH: i32, outW: i32, variant: i32): i32 {
  const m = tileOut(variant);
  return ((outH + m - 1) / m) * ((outW + m - 1) / m);
}

/** n²: elements of a tile in the transform domain (the number of GEMMs). */
export function winogradTileElements(variant: i32): i32 {
  return tileIn(variant) * tileIn(variant);
}

/**
 * The weight gradient's operands for every tile of these images: V[t, e, c] = (Bᵀ d B)[e] of
 * input tile t and Z[t, e, k] = (A dY Aᵀ)[e] of doutput's m×m tile t (zero past the output).
 * input [batch, height, width, inC] (no padding), doutput [batch, outH, outW, outC]. Overwrites
 * V (batch·tiles·n²·inC floats) and Z (batch·tiles·n²·outC); tiles = winogradTiles(outH, outW)
 * and elements = winogradTileElements (n²), passed in so that a thread's slice is found by them.
 * pack: per-thread scratch (winogradScratchFloats).
 */
export function winogradGradientOperands(input: usize, doutput: usize, v: usize, z: usize, pack: usize, batch: i32, height: i32, width: i32, inC: i32, outH: i32, outW: i32, outC: i32, tiles: i32, elements: i32, variant: i32): void {
  const m = tileOut(variant);
  const n = tileIn(variant);
  const nn = elements;
  const scratch = pack;
  const th = (outH + m - 1) / m;
  const tw = tiles / th;
  const tile = scratch;
  const tmp = tile + (<usize>nn << 4);
  const zero = f32x4.splat(0);
  for (let b = 0; b < batch; b++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++) {
        const t = (b * th + ty) * tw + tx;
        const vt = v + (<usize>(t * nn * inC) << 2);
        const inside = ty * m + n <= height && tx * m + n <= width;
        const origin = input + (<usize>(((b * height + ty * m) * width + tx * m) * inC) << 2);
        for (let c = 0; c < inC; c += 4) {
          if (inside) {
            inputTransform(variant, origin + (<usize>c << 2), <usize>(width * inC) << 2, <usize>inC << 2, tmp, vt + (<usize>c << 2), <usize>(n * inC) << 2, <usize>inC << 2);
          } else {
            loadTile(input, b, ty * m, tx * m, c, n, height, width, inC, tile);
            inputTransform(variant, tile, <usize>n << 4, 16, tmp, vt + (<usize>c << 2), <usize>(n * inC) << 2, <usize>inC << 2);
          }
        }
        const zt = z + (<usize>(t * nn * outC) << 2);
        for (let k = 0; k < outC; k += 4) {
          for (let i = 0; i < m; i++) {
            const y = ty * m + i;
            for (let j = 0; j < m; j++) {
              const x = tx * m + j;
              const dst = tile + (<usize>(i * m + j) << 4);
              if (y < outH && x < outW) v128.store(dst, v128.load(doutput + (<usize>(((b * outH + y) * outW + x) * outC + k) << 2)));
              else v128.store(dst, zero);
            }
          }
          outputTransformAdjoint(variant, tile, tmp, zt + (<usize>k << 2), <usize>(n * outC) << 2, <usize>outC << 2);
        }
      }
    }
  }
}

/**
 * dU[e] = V[e]ᵀ · Z[e] for e = first .. first+count-1, over all `tiles` tiles (operands from
 * winogradGradientOperands). Overwrites those planes of dU. pack: gemmPackFloats(tiles, outC).
 */
export function winogradGradientProducts(v: usize, z: usize, du: usize, pack: usize, tiles: i32, inC: i32, outC: i32, first: i32, count: i32, variant: i32): void {
  const nn = tileIn(variant) * tileIn(variant);
  for (let e = first; e < first + count; e++) {
    gemmTN(v + (<usize>(e * inC) << 2), z + (<usize>(e * outC) << 2), du + (<usize>(e * inC * outC) << 2), inC, tiles, outC, nn * inC, nn * outC, outC, 0, pack);
  }
}

/**
 * dweights[:, :, c, :] += (Gᵀ dU G) for c = firstChannel .. +channelCount: the kernel gradient
 * from the transform domain. dweights [r, r, inC, outC]. pack: per-thread scratch.
 */
export function winogradGradientKernel(du: usize, dweights: usize, pack: usize, inC: i32, outC: i32, firstChannel: i32, channelCount: i32, variant: i32): void {
  const n = tileIn(variant);
  const r = kernelSide(variant);
  const gt = matrixGT(variant);
  const plane = <usize>(inC * outC) << 2;
  const tap = plane;
  const result = pack;
  const tmp = result + (<usize>(r * r) << 4);
  for (let c = firstChannel; c < firstChannel + channelCount; c++) {
    for (let k = 0; k < outC; k += 4) {
      sandwich(gt, r, gt, r, n, n, du + (<usize>(c * outC + k) << 2), <usize>n * plane, plane, tmp, result, <usize>r << 4, 16);
      for (let i = 0; i < r * r; i++) {
        const dst = dweights + <usize>i * tap + (<usize>(c * outC + k) << 2);
        v128.store(dst, f32x4.add(v128.load(dst), v128.load(result + (<usize>i << 4))));
      }
    }
  }
}
