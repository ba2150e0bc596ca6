// Where the GPU comes from: `navigator.gpu` in browsers; Node's entry point (runtime/node.ts) installs
// Dawn from the `webgpu` package instead. Kept apart so that browser bundles never import Node code.

type GPUFactory = () => GPU | undefined;

let factory: GPUFactory = () => (globalThis.navigator as Navigator | undefined)?.gpu;

export function setGPUFactory(f: GPUFactory): void {
  factory = f;
}

let cached: GPU | undefined;
/** The platform's GPU entry point, or undefined where WebGPU does not exist. */
export function getGPU(): GPU | undefined {
  return (cached ??= factory());
}
