// Types of gen-unicode.mjs, for the test that checks the generated table is current.
export const BLOCK: number;
export function flagsOfAll(): Uint8Array;
export function render(): string;
