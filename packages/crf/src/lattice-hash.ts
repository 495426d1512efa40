/**
 * Open-addressing hash table from integer lattice keys (d coordinates) to
 * dense point indices 0..size-1, as the permutohedral lattice needs it: the
 * lattice only stores the points that some pixel touches.
 */
export class LatticeHash {
  private keys: Int32Array;
  private table: Int32Array;
  private mask: number;
  size = 0;

  constructor(
    readonly keySize: number,
    expected: number,
  ) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.table = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.keys = new Int32Array(Math.max(expected, 16) * keySize);
  }

  private hash(key: Int32Array): number {
    let h = 0;
    for (let i = 0; i < this.keySize; i++) h = Math.imul(h + key[i]!, 2531011);
    return h >>> 0;
  }

  /** Index of `key`, inserting it when `create` is set; -1 when absent. */
  find(key: Int32Array, create: boolean): number {
    if (create && this.size * 2 >= this.table.length) this.grow();
    const d = this.keySize;
    let h = this.hash(key) & this.mask;
    for (;;) {
      const e = this.table[h]!;
      if (e === -1) {
        if (!create) return -1;
        if ((this.size + 1) * d > this.keys.length) {
          const bigger = new Int32Array(this.keys.length * 2);
          bigger.set(this.keys);
          this.keys = bigger;
        }
        this.keys.set(key.subarray(0, d), this.size * d);
        this.table[h] = this.size;
        return this.size++;
      }
      let same = true;
      const base = e * d;
      for (let i = 0; i < d; i++) {
        if (this.keys[base + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return e;
      h = (h + 1) & this.mask;
    }
  }

  /** The key of point `index` (a view; do not keep it across inserts). */
  key(index: number): Int32Array {
    return this.keys.subarray(index * this.keySize, (index + 1) * this.keySize);
  }

  private grow(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    const scratch = new Int32Array(this.keySize);
    for (let e = 0; e < this.size; e++) {
      scratch.set(this.key(e));
      let h = this.hash(scratch) & mask;
      while (table[h] !== -1) h = (h + 1) & mask;
      table[h] = e;
    }
    this.table = table;
    this.mask = mask;
  }
}
