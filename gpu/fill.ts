// The kernel of fill.wgsl: zeroes the first `count` vec4 words of a buffer (device.ts uses it on pooled
// buffers that become zero-filled tensors).
import { kernel } from './kernel.js';
import src from './fill.wgsl';

export const ZERO = kernel({
  name: 'fill zero', module: 'fill.wgsl', source: src, entry: 'zero', wg: 64, bindings: ['dst'],
  u32: (count: number) => [count], size: (count: number) => count,
});
