// Sealed folders for the pipeline: the checksum functions (src/io/checksums.ts) and a stage
// model's load with the stage's own fix in the message.
import type { LayersModel } from '../tf.ts';
import { loadModel } from '../models/io.ts';
import { verifyFolder } from '../io/checksums.ts';

export { CHECKSUMS_FILE, sealFolder, verifyFolder } from '../io/checksums.ts';

/** loadModel after verifyFolder. */
export async function loadVerifiedModel(dir: string, fix: string): Promise<LayersModel> {
  verifyFolder(dir, fix);
  return loadModel(dir);
}
