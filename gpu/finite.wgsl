// Whether a float is finite, tested on its bits: WGSL lets a compiler assume that no float is NaN or
// infinite, so a comparison such as x != x may be folded away. Prepended by the launchers that need it.

// A quiet NaN's bits: the marker of an unusable result. WGSL has no NaN value to write, so a kernel that
// writes one declares its output as u32 and stores these bits.
const NAN_BITS = 0x7fc00000u;

fn finiteBits(bits: u32) -> bool {
  return (bits & 0x7f800000u) != 0x7f800000u;
}

fn finite(x: f32) -> bool {
  return finiteBits(bitcast<u32>(x));
}
