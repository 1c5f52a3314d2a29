import { loadFashionMnist, loadMnist } from './src/data/index.ts';
import { writeImageFolder } from './src/data/sources/testing.ts';
const [which, root, count, format, layout, offset] = process.argv.slice(2);
const load = which === 'mnist' ? loadMnist : loadFashionMnist;
const data = await load({ trainLimit: Number(count) + Number(offset ?? 0), validationSize: 0, splits: ['train'] });
await writeImageFolder(data, root, { count: Number(count), format: format as 'png', layout: layout as 'classes', offset: Number(offset ?? 0) });
