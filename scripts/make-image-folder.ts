// Writes real images as an image folder to try `--data` on: the first N training images of MNIST
// or Fashion-MNIST as PNG / JPEG files in <root>/<class>/ (or flat, unlabelled, for a transfer set).
// Usage: npx tsx scripts/make-image-folder.ts <mnist|fashion-mnist> <root> [count] [png|jpeg]
//        [classes|flat] [offset]
import { loadFashionMnist, loadMnist } from '../src/data/index.ts';
import { writeImageFolder } from '../src/data/sources/testing.ts';

const [
  which = 'fashion-mnist',
  root,
  count = '2000',
  format = 'png',
  layout = 'classes',
  offset = '0',
] = process.argv.slice(2);
if (!root) {
  process.stderr.write(
    'usage: make-image-folder.ts <mnist|fashion-mnist> <root> [count] [png|jpeg] [classes|flat] [offset]\n',
  );
  process.exit(2);
}
const load = which === 'mnist' ? loadMnist : loadFashionMnist;
const n = Number(count) + Number(offset);
const data = await load({ trainLimit: n, validationSize: 0, splits: ['train'] });
const written = await writeImageFolder(data, root, {
  count: Number(count),
  format: format as 'png' | 'jpeg',
  layout: layout as 'classes' | 'flat',
  offset: Number(offset),
});
process.stderr.write(`wrote ${written.length} ${format} files of ${which} under ${root}\n`);
