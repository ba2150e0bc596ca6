// The tile shapes of the tiled matmul (matmulTiled.wgsl), one of which gpu/tuning.ts picks per adapter:
// rows x columns of C per workgroup, and the register block each invocation computes. Every shape keeps its
// two 16-deep f32 slices within 16384 bytes of workgroup memory (WebGPU's default maxComputeWorkgroupStorageSize,
// which osteon does not raise) and 256 invocations per workgroup (WebGPU's default limit), 32x32 excepted:
// 64 invocations, for products too small to fill a GPU with the larger tiles.

export interface MatmulTile {
  /** Rows and columns of C per workgroup. */
  rows: number; cols: number;
  /** Rows and columns of C per invocation (columns a multiple of 4, rows too: whole vec4s and mat4x4 stores). */
  blockRows: number; blockCols: number;
}

export const MATMUL_TILES = {
  '64x64': { rows: 64, cols: 64, blockRows: 4, blockCols: 4 },
  '128x64': { rows: 128, cols: 64, blockRows: 8, blockCols: 4 },
  '64x128': { rows: 64, cols: 128, blockRows: 4, blockCols: 8 },
  '128x128': { rows: 128, cols: 128, blockRows: 8, blockCols: 8 },
  '32x32': { rows: 32, cols: 32, blockRows: 4, blockCols: 4 },
} as const satisfies Record<string, MatmulTile>;

export type MatmulTileName = keyof typeof MATMUL_TILES;

export const TILE_NAMES = Object.keys(MATMUL_TILES) as MatmulTileName[];

/** The WGSL constants matmulTiled.wgsl is written against, for one tile and tile element type. */
export function tileConstants(name: MatmulTileName, element: 'f32' | 'f16'): string {
  const t = MATMUL_TILES[name];
  return `const TM = ${t.rows}u;\nconst TN = ${t.cols}u;\nconst RM = ${t.blockRows}u;\nconst RN = ${t.blockCols}u;\nalias TileT = ${element};\n`;
}
