// The results summary's size sentence: a student bigger than its teacher is "larger", never
// "0.6× smaller".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sizeComparison } from './table.ts';

test('compression below 1 reads as larger, at or above 1 as smaller', () => {
  assert.equal(sizeComparison(4), '4.0× smaller than');
  assert.equal(sizeComparison(1), '1.0× smaller than');
  assert.equal(sizeComparison(0.6), '1.7× larger than');
});
