// Non-TypeScript imports that esbuild inlines (see build.mjs loaders).
declare module '*.wgsl' {
  const source: string;
  export default source;
}
declare module '*.wasm' {
  const bytes: Uint8Array;
  export default bytes;
}
declare module '*.safetensors' {
  const bytes: Uint8Array;
  export default bytes;
}
declare module '*.py' {
  const source: string;
  export default source;
}
