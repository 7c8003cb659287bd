/**
 * Values made once per series (label values, attribute sets, bound prom-client children),
 * looked up by up to three parts without building a key string on the hot path: a message
 * handled costs map lookups, not allocations. Parts come from configuration (clients, groups,
 * topics, error codes), so the cache stays small.
 * @internal
 */
export class SeriesCache<T> {
  readonly #root = new Map<string, Map<string, Map<string, T>>>()

  /** The value of series `(a, b, c)`, made by `make` the first time. `c` may be omitted (`''`). */
  get(a: string, b: string, c: string, make: () => T): T {
    let level1 = this.#root.get(a)
    if (level1 === undefined) this.#root.set(a, (level1 = new Map()))
    let level2 = level1.get(b)
    if (level2 === undefined) level1.set(b, (level2 = new Map()))
    let value = level2.get(c)
    if (value === undefined) {
      value = make()
      level2.set(c, value)
    }
    return value
  }
}
