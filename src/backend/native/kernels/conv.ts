// Shared pieces of the native conv and pooling kernels: tfjs' Conv2DInfo (strides, padding,
// rounding, output size, all computed by tfjs itself) mapped to the addon's NHWC geometry.
import type { TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../../../tf.ts';
import type { NativeBackend } from '../backend.ts';
import type { NativeConvGeometry } from '../binding.ts';
import { biasPeriod } from './matmul.ts';
import { floatOutput, floatValues, sizeOf } from './shared.ts';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Shape4D = [number, number, number, number];

export function convGeometry(info: Conv2DInfo): NativeConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** conv2d(x, filter) (+ bias, activation) natively; undefined if the cpu kernel must do it. */
export function nativeConv2D(
  backend: NativeBackend,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: ConvAttrs,
  epilogue: { bias?: TensorInfo; activation: number; alpha: number } = { activation: 0, alpha: 0 },
): TensorInfo | undefined {
  const xValues = floatValues(backend, x);
  const filterValues = floatValues(backend, filter);
  if (!xValues || !filterValues || attrs.dataFormat === 'NCHW') return undefined;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    filter.shape as Shape4D,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  let biasValues: Float32Array | null = null;
  let biasLength = 0;
  if (epilogue.bias) {
    const period = biasPeriod(epilogue.bias, info.outShape);
    const values = floatValues(backend, epilogue.bias);
    if (period === undefined || !values) return undefined;
    biasValues = values;
    biasLength = period;
  }
  const out = backend.allocFloat32(sizeOf(info.outShape)); // [batch, outH, outW, outC]
  backend.addon.conv2d(
    xValues,
    filterValues,
    out,
    convGeometry(info),
    biasValues,
    biasLength,
    epilogue.activation,
    epilogue.alpha,
  );
  return floatOutput(backend, info.outShape, out);
}

export interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs' pooling geometry for x (NHWC) under the given attributes. */
export function poolInfo(x: TensorInfo, attrs: PoolAttrs, withRounding = true): Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape as Shape4D,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    withRounding ? attrs.dimRoundingMode : undefined,
  );
}

/** A pool that is the identity (1x1 window, same shape): the cpu kernel shares the buffer. */
export function isIdentityPool(info: Conv2DInfo): boolean {
  return (
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    tf.util.arraysEqual(info.inShape, info.outShape)
  );
}
