// The model's vocabulary as text: every token in file order with its id, stored as one string plus offsets
// so that the compact binary form can hand it over without building 150k strings at load. The token -> id
// map and the id -> token table are built on first use.
// It deliberately excludes added tokens (tokenizer.ts layers them on top, as the reference does).

export class Vocabulary {
  private map: Map<string, number> | null = null;
  private byId: (string | undefined)[] | null = null;
  private textOrBytes: string | Uint8Array;

  /** text = all tokens concatenated (or its UTF-8, decoded on first use); starts [V + 1] UTF-16 offsets; ids [V]. */
  constructor(text: string | Uint8Array, readonly starts: Uint32Array, readonly ids: Int32Array) {
    this.textOrBytes = text;
  }

  get text(): string {
    if (typeof this.textOrBytes !== 'string') this.textOrBytes = new TextDecoder().decode(this.textOrBytes);
    return this.textOrBytes;
  }

  static fromTokens(tokens: string[], ids: number[]): Vocabulary {
    const starts = new Uint32Array(tokens.length + 1);
    for (let i = 0; i < tokens.length; i++) starts[i + 1] = starts[i] + tokens[i].length;
    return new Vocabulary(tokens.join(''), starts, Int32Array.from(ids));
  }

  get count(): number { return this.ids.length; }

  /** The i-th token in file order. */
  token(i: number): string { return this.text.slice(this.starts[i], this.starts[i + 1]); }

  get lookup(): Map<string, number> {
    if (this.map === null) {
      this.map = new Map();
      for (let i = 0; i < this.ids.length; i++) this.map.set(this.token(i), this.ids[i]);
    }
    return this.map;
  }

  tokenOf(id: number): string | undefined {
    if (this.byId === null) {
      this.byId = [];
      for (let i = 0; i < this.ids.length; i++) this.byId[this.ids[i]] = this.token(i);
    }
    return this.byId[id];
  }
}
