import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors, toFloat16, toFloat32, toInt32, writeSafetensors } from '../runtime/safetensors.js';
import { loadFixture } from './helpers.js';

test('reads PEFT fixture with metadata and shapes', () => {
  const f = loadFixture('peft/bone_pad.safetensors');
  assert.is(f.metadata.variant, 'bone');
  assert.equal(f.tensors.get('W')!.shape, [40, 70]);
  assert.is(toFloat32(f.tensors.get('W')!).length, 2800);
});

test('reads int64 input ids', () => {
  const f = loadFixture('llama-bone/reference.safetensors');
  const ids = toInt32(f.tensors.get('input_ids')!);
  assert.is(ids.length, 24);
});

test('write -> read round trip is bit-exact', () => {
  const a = new Float32Array([1.5, -2, Math.PI, 1e-30]);
  const bytes = writeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: a } }, { format: 'pt' });
  const back = readSafetensors(bytes);
  assert.equal([...toFloat32(back.tensors.get('a')!)], [...a]);
  assert.is(back.metadata.format, 'pt');
  assert.is((bytes.byteLength - 8) % 8, 0);
});

test('corrupt files fail with the reason', () => {
  const good = writeSafetensors({ a: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
  assert.throws(() => readSafetensors(good.subarray(0, good.length - 4)), /truncated/);
  assert.throws(() => readSafetensors(good.subarray(0, 5)), /truncated/);
  const garbled = good.slice();
  garbled[9] = 0x7b; // '{' inside the JSON
  assert.throws(() => readSafetensors(garbled), /JSON/);
  const wrongSize = writeSafetensors({ a: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
  const text = new TextDecoder().decode(wrongSize.subarray(8, 8 + Number(new DataView(wrongSize.buffer).getBigUint64(0, true))));
  const patched = new TextEncoder().encode(text.replace('[4]', '[5]'));
  const copy = wrongSize.slice();
  copy.set(patched, 8);
  assert.throws(() => readSafetensors(copy), /needs 20 bytes/);
});

test('toFloat16: every finite float16 value round-trips; ties go to even; overflow is infinity', () => {
  const bits = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
  const file = readSafetensors(writeSafetensors({ all: { dtype: 'F16', shape: [bits.length], data: bits } }));
  const values = toFloat32(file.tensors.get('all')!);
  const back = Uint16Array.from(values, toFloat16);
  const differ = back.findIndex((h, i) => h !== bits[i] && !(bits[i] === 0x8000 && h === 0x8000));
  assert.is(differ, -1, `bits ${bits[differ]?.toString(16)} -> ${values[differ]} -> ${back[differ]?.toString(16)}`);
  const cases: [number, number][] = [
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [-1e9, 0xfc00],
    [2 ** -25, 0], [3 * 2 ** -25, 0x0002], [2 ** -14 - 2 ** -26, 0x0400], [-0, 0x8000],
  ];
  for (const [x, want] of cases) assert.is(toFloat16(x), want, `toFloat16(${x})`);
});

test.run();
