// Type-level Avro → TypeScript. Works on schema literals kept precise with `as const` (or
// passed straight to `avro()`, whose type parameter is `const`). A schema typed as a plain
// `object` or `string` maps to `unknown`.

interface Primitives {
  null: null
  boolean: boolean
  int: number
  long: number
  float: number
  double: number
  bytes: Buffer
  string: string
}

type Direction = 'out' | 'in'

type Named = { readonly name: string; readonly type: 'record' | 'error' | 'enum' | 'fixed' }

type LastSegment<N extends string> = N extends `${string}.${infer Rest}` ? LastSegment<Rest> : N

/** Every key a named type can be referred to by: as written, its full name, and its short name. */
type NamesOf<S> = S extends { readonly name: infer N extends string }
  ? N | LastSegment<N> | (S extends { readonly namespace: infer NS extends string } ? `${NS}.${N}` : never)
  : never

type CollectFields<F> = F extends { readonly type: infer T } ? Collect<T> : never

/** A union of `{ name: schema }` for every named type defined anywhere in `S`. */
type Collect<S> = S extends readonly (infer U)[]
  ? Collect<U>
  : S extends { readonly type: 'record' | 'error'; readonly fields: readonly (infer F)[] }
    ? { [K in NamesOf<S>]: S } | CollectFields<F>
    : S extends Named
      ? { [K in NamesOf<S>]: S }
      : S extends { readonly type: 'array'; readonly items: infer I }
        ? Collect<I>
        : S extends { readonly type: 'map'; readonly values: infer V }
          ? Collect<V>
          : S extends { readonly type: infer T extends object }
            ? Collect<T>
            : never

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never

type Registry<S> = [Collect<S>] extends [never] ? {} : UnionToIntersection<Collect<S>>

type Simplify<T> = { [K in keyof T]: T[K] } & {}

type Logical<S, R, D extends Direction> = S extends { readonly logicalType: 'timestamp-millis'; readonly type: 'long' }
  ? Date
  : S extends { readonly logicalType: 'uuid'; readonly type: 'string' }
    ? string
    : S extends { readonly logicalType: 'decimal'; readonly type: 'bytes' | 'fixed' }
      ? string
      : S extends { readonly type: infer T }
        ? T extends 'record' | 'error' | 'enum' | 'fixed' | 'array' | 'map'
          ? Complex<S, R, D>
          : Value<T, R, D>
        : unknown

type FieldsOf<S> = S extends { readonly fields: readonly (infer F)[] } ? F : never

type RecordValue<S, R, D extends Direction> = D extends 'out'
  ? { -readonly [F in FieldsOf<S> as F extends { readonly name: infer N extends string } ? N : never]: F extends { readonly type: infer T } ? Value<T, R, D> : never }
  : Simplify<
      { -readonly [F in FieldsOf<S> as F extends { readonly name: infer N extends string; readonly default?: undefined } ? (F extends { readonly default: unknown } ? never : N) : never]: F extends { readonly type: infer T } ? Value<T, R, D> : never } & {
        -readonly [F in FieldsOf<S> as F extends { readonly name: infer N extends string; readonly default: unknown } ? N : never]?: F extends { readonly type: infer T } ? Value<T, R, D> : never
      }
    >

type Complex<S, R, D extends Direction> = S extends { readonly type: 'record' | 'error' }
  ? RecordValue<S, R, D>
  : S extends { readonly type: 'enum'; readonly symbols: readonly (infer E)[] }
    ? E
    : S extends { readonly type: 'fixed' }
      ? Buffer
      : S extends { readonly type: 'array'; readonly items: infer I }
        ? D extends 'out' ? Value<I, R, D>[] : readonly Value<I, R, D>[]
        : S extends { readonly type: 'map'; readonly values: infer V }
          ? Record<string, Value<V, R, D>>
          : unknown

type Value<S, R, D extends Direction> = S extends readonly (infer U)[]
  ? Value<U, R, D>
  : S extends string
    ? string extends S
      ? unknown
      : S extends keyof Primitives
        ? Primitives[S]
        : S extends keyof R
          ? Value<R[S], R, D>
          : unknown
    : S extends object
      ? Logical<S, R, D>
      : unknown

/**
 * The decoded TypeScript type of an Avro schema literal: what consumers receive.
 *
 * `null`/`boolean`/`string` as themselves; `int`, `long` (safe integers), `float`, `double`
 * as `number`; `bytes` and `fixed` as `Buffer`; records as objects; enums as their symbols;
 * arrays; maps as `Record<string, T>`; unions as a union (`["null", T]` is `T | null`);
 * `timestamp-millis` as `Date`; `decimal` as a string; `uuid` as a string. Named types may
 * be referred to by name anywhere in the same schema.
 *
 * @example
 * ```ts
 * const schema = { type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }] } as const
 * type User = AvroValue<typeof schema> // { id: string }
 * ```
 */
export type AvroValue<S> = Value<S, Registry<S>, 'out'>

/**
 * What encoding accepts for a schema: like {@link AvroValue}, but record fields with a
 * `default` may be left out (the default is written) and arrays may be readonly.
 */
export type AvroInput<S> = Value<S, Registry<S>, 'in'>
