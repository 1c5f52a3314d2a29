// The one place that imports TensorFlow.js: silences the tfjs-node advice banner, which would
// otherwise land on stdout/stderr of every CLI run and break `--json` output.
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);

export { tf };
export type { Tensor, Scalar, Variable, LayersModel, Rank } from '@tensorflow/tfjs';
