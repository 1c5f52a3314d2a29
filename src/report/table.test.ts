// The results summary's size sentence: a student bigger than its teacher is "larger", never
// "0.6× smaller".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sizeComparison } from './table.ts';

test('compression below 1 reads as larger, above 1 as smaller, 1 (to one decimal) as the same size', () => {
  assert.equal(sizeComparison(4), '4.0× smaller than');
  // Equal sizes (born-again, a same-architecture student) are not "1.0× smaller".
  assert.equal(sizeComparison(1), 'the same size as');
  assert.equal(sizeComparison(1.04), 'about the same size as');
  assert.equal(sizeComparison(0.96), 'about the same size as');
  assert.equal(sizeComparison(1.05), '1.1× smaller than');
  assert.equal(sizeComparison(0.6), '1.7× larger than');
});
