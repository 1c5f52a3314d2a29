// The one flat list of kernels the native backend replaces; everything else is the cpu kernel.
import type { KernelConfig } from '@tensorflow/tfjs';
import { fusedMatMulConfig } from './_FusedMatMul.ts';
import { absConfig } from './Abs.ts';
import { addConfig } from './Add.ts';
import { avgPoolConfig } from './AvgPool.ts';
import { avgPoolGradConfig } from './AvgPoolGrad.ts';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { castConfig } from './Cast.ts';
import { conv2DConfig } from './Conv2D.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { eluConfig } from './Elu.ts';
import { equalConfig } from './Equal.ts';
import { expConfig } from './Exp.ts';
import { fusedConv2DConfig } from './FusedConv2D.ts';
import { gatherV2Config } from './GatherV2.ts';
import { greaterConfig } from './Greater.ts';
import { greaterEqualConfig } from './GreaterEqual.ts';
import { leakyReluConfig } from './LeakyRelu.ts';
import { lessConfig } from './Less.ts';
import { lessEqualConfig } from './LessEqual.ts';
import { logConfig } from './Log.ts';
import { maxConfig } from './Max.ts';
import { maximumConfig } from './Maximum.ts';
import { maxPoolConfig } from './MaxPool.ts';
import { maxPoolGradConfig } from './MaxPoolGrad.ts';
import { meanConfig } from './Mean.ts';
import { minimumConfig } from './Minimum.ts';
import { multiplyConfig } from './Multiply.ts';
import { negConfig } from './Neg.ts';
import { notEqualConfig } from './NotEqual.ts';
import { realDivConfig } from './RealDiv.ts';
import { reciprocalConfig } from './Reciprocal.ts';
import { reluConfig } from './Relu.ts';
import { relu6Config } from './Relu6.ts';
import { reverseConfig } from './Reverse.ts';
import { rsqrtConfig } from './Rsqrt.ts';
import { sigmoidConfig } from './Sigmoid.ts';
import { sliceConfig } from './Slice.ts';
import { softmaxConfig } from './Softmax.ts';
import { splitVConfig } from './SplitV.ts';
import { sqrtConfig } from './Sqrt.ts';
import { squareConfig } from './Square.ts';
import { squaredDifferenceConfig } from './SquaredDifference.ts';
import { stepConfig } from './Step.ts';
import { subConfig } from './Sub.ts';
import { sumConfig } from './Sum.ts';
import { tanhConfig } from './Tanh.ts';
import { tileConfig } from './Tile.ts';
import { transposeConfig } from './Transpose.ts';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum.ts';

export const nativeKernelConfigs: KernelConfig[] = [
  // matmul
  batchMatMulConfig,
  fusedMatMulConfig,
  // binary, broadcasting
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  maximumConfig,
  minimumConfig,
  squaredDifferenceConfig,
  // comparisons, broadcasting, bool out
  equalConfig,
  notEqualConfig,
  lessConfig,
  lessEqualConfig,
  greaterConfig,
  greaterEqualConfig,
  // unary
  absConfig,
  eluConfig,
  expConfig,
  leakyReluConfig,
  logConfig,
  negConfig,
  reciprocalConfig,
  reluConfig,
  relu6Config,
  rsqrtConfig,
  sigmoidConfig,
  sqrtConfig,
  squareConfig,
  stepConfig,
  tanhConfig,
  // reductions and layout
  maxConfig,
  meanConfig,
  sumConfig,
  softmaxConfig,
  tileConfig,
  transposeConfig,
  sliceConfig,
  splitVConfig,
  reverseConfig,
  castConfig,
  // embeddings: gather and its gradient's scatter-add
  gatherV2Config,
  unsortedSegmentSumConfig,
  // convolution and pooling, NHWC
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  avgPoolConfig,
  avgPoolGradConfig,
];
