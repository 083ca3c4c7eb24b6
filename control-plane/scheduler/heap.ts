/** A binary heap keyed by string with removal and update by key. */
export class KeyedHeap<T> {
  private readonly items: { key: string; value: T }[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i].value;
  }

  peek(): T | undefined {
    return this.items[0]?.value;
  }

  /** Inserts, or replaces the value under the same key. */
  push(key: string, value: T): void {
    const i = this.index.get(key);
    if (i !== undefined) {
      this.items[i].value = value;
      this.fix(i);
      return;
    }
    this.items.push({ key, value });
    this.index.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0];
    this.removeAt(0);
    return top.value;
  }

  delete(key: string): T | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const v = this.items[i].value;
    this.removeAt(i);
    return v;
  }

  values(): T[] {
    return this.items.map((e) => e.value);
  }

  private removeAt(i: number): void {
    const last = this.items.length - 1;
    this.index.delete(this.items[i].key);
    if (i !== last) {
      this.items[i] = this.items[last];
      this.index.set(this.items[i].key, i);
    }
    this.items.pop();
    if (i < this.items.length) this.fix(i);
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i].value, this.items[parent].value)) break;
      this.swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.less(this.items[l].value, this.items[best].value)) best = l;
      if (r < n && this.less(this.items[r].value, this.items[best].value)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.items[a];
    this.items[a] = this.items[b];
    this.items[b] = t;
    this.index.set(this.items[a].key, a);
    this.index.set(this.items[b].key, b);
  }
}
