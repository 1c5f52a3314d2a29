// The `native` tfjs backend: the cpu backend's tensor storage (plain TypedArrays) and all of its
// kernels, with the hot float32 kernels replaced by OpenBLAS / C++ (see kernels/index.ts).
// Native kernels read and write the same TypedArrays the cpu kernels do: no copies, no new format.
//
// Two differences from `cpu`, both for speed:
// - Output buffers of native kernels come from a pool and return to it when their tensor is
//   disposed. A fresh Float32Array per kernel costs page faults and GC pressure (external memory)
//   that outweigh the arithmetic of most elementwise kernels. A buffer is recycled only if no view
//   of it and no second tensor ever took it (tracked in write()).
// - readSync / dataSync return a copy (as the wasm and tfjs-node backends do), so no caller keeps
//   an alias into storage that is recycled or updated in place by the fused optimizers.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendValues, DataId, DataType } from '@tensorflow/tfjs';
import type { NativeAddon } from './binding.ts';

/** Smaller outputs are plain allocations: V8 handles those cheaply. */
const minPooledLength = 1024;
/**
 * Idle pooled memory is capped at the most the pool's buffers were ever live at once (at least
 * this): a training step frees its activations together when its tidy ends, and the next step
 * needs them all again. Dropping some (a fixed 256 MiB cap did, from 64×64×3 CNN inputs at batch
 * 64 on) made every step fault in fresh 32 MiB buffers: 2.7× the CPU time of the step.
 */
const minIdleCapBytes = 256 * 1024 * 1024;

/** Lifecycle of a pool-owned buffer. */
type BufferState = 'fresh' | 'live' | 'escaped';

export class NativeBackend extends MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  /** Bytes of pool-owned buffers handed out and not yet back (fresh or live), and its peak. */
  private liveBytes = 0;
  private peakLiveBytes = 0;
  private readonly owned = new WeakMap<ArrayBufferLike, BufferState>();
  /** Floor of the idle cap (tests lower it). */
  minIdleBytes = minIdleCapBytes;

  constructor(readonly addon: NativeAddon) {
    super();
    // MathBackendCPU prints "install tfjs-node" advice on its first write in Node: not for us.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A float32 output buffer of `length` elements; contents are stale, write every element. */
  allocFloat32(length: number): Float32Array {
    if (length < minPooledLength) return new Float32Array(length);
    const reused = this.pool.get(length)?.pop();
    const array = reused ?? new Float32Array(length);
    if (reused) this.pooledBytes -= reused.byteLength;
    this.owned.set(array.buffer, 'fresh');
    this.liveBytes += array.byteLength;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return array;
  }

  /** Returns a buffer from allocFloat32 that never became a tensor (a kernel's scratch space). */
  releaseFloat32(array: Float32Array): void {
    if (this.owned.get(array.buffer) !== 'fresh') return;
    this.owned.set(array.buffer, 'live');
    this.recycle(array);
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    if (ArrayBuffer.isView(values)) {
      const state = this.owned.get(values.buffer);
      if (state !== undefined) {
        // The first registration of a whole pooled buffer makes it live; anything else (a view,
        // a second tensor on the same buffer) pins it out of the pool for good.
        const whole = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
        if (state === 'fresh' && whole) this.owned.set(values.buffer, 'live');
        else this.escape(values.buffer);
      }
    }
    return super.write(values, shape, dtype);
  }

  override move(
    dataId: DataId,
    values: BackendValues,
    shape: number[],
    dtype: DataType,
    refCount: number,
  ): void {
    if (ArrayBuffer.isView(values) && this.owned.has(values.buffer)) this.escape(values.buffer);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    return values instanceof Float32Array ? values.slice() : values;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array && !this.data.has(dataId)) this.recycle(values);
    return released;
  }

  override dispose(): void {
    this.pool.clear();
    this.pooledBytes = 0;
    this.liveBytes = 0;
    this.peakLiveBytes = 0;
    super.dispose();
  }

  /** Bytes the pool may keep idle. */
  idleCapBytes(): number {
    return Math.max(this.minIdleBytes, this.peakLiveBytes);
  }

  /** A buffer leaves the pool's care for good (a view or a second tensor took it). */
  private escape(buffer: ArrayBufferLike): void {
    if (this.owned.get(buffer) !== 'escaped') this.liveBytes -= buffer.byteLength;
    this.owned.set(buffer, 'escaped');
  }

  private recycle(values: Float32Array): void {
    if (this.owned.get(values.buffer) !== 'live') return;
    this.owned.delete(values.buffer);
    this.liveBytes -= values.byteLength;
    if (this.pooledBytes + values.byteLength > this.idleCapBytes()) return;
    let list = this.pool.get(values.length);
    if (!list) this.pool.set(values.length, (list = []));
    list.push(values);
    this.pooledBytes += values.byteLength;
  }
}
