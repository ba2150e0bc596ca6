// The golden cases `osteon doctor` runs when no --fixtures folder is given: a few of PEFT's own layer
// outputs (tests/fixtures/peft), inlined into the bundle so the check needs no files.
import bonePad from '../../tests/fixtures/peft/bone_pad.safetensors';
import boneSmallIn from '../../tests/fixtures/peft/bone_small_in.safetensors';
import boneTwo from '../../tests/fixtures/peft/bone_two.safetensors';
import mini from '../../tests/fixtures/peft/mini.safetensors';
import batTwo from '../../tests/fixtures/peft/bat_two.safetensors';

export const builtinCases: Record<string, Uint8Array> = {
  bone_pad: bonePad,
  bone_small_in: boneSmallIn,
  bone_two: boneTwo,
  mini,
  bat_two: batTwo,
};
