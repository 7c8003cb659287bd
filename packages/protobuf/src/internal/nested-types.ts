import protobuf from 'protobufjs'

/**
 * One entry of a message list as protoc builds it: a file's `message_type` or a message's
 * `nested_type`. Besides the declared messages (and proto2 groups), protoc adds one entry type
 * per `map<…>` field at the field's place, so the Confluent message indexes that Java and
 * Python write count them.
 */
export interface MessageSlot {
  readonly name: string
  /** The entry type protoc makes for a `map<…>` field (`attributes` → `AttributesEntry`). */
  readonly mapEntry: boolean
  readonly nested: readonly MessageSlot[]
}

/** protoc's name for a map field's entry type: `_` dropped, the letter after it and the first one upper-cased, then `Entry`. */
export function mapEntryName(fieldName: string): string {
  let name = ''
  let upper = true
  for (const char of fieldName) {
    if (char === '_') {
      upper = true
    } else {
      name += upper && char >= 'a' && char <= 'z' ? char.toUpperCase() : char
      upper = false
    }
  }
  return `${name}Entry`
}

/** Stands for a whole string literal, so a `{` or `;` inside one is not syntax. */
const STRING = '\u0000string'

/** The tokens of a `.proto` source (protobufjs's tokenizer: comments dropped), each string literal as one {@link STRING}. */
function tokensOf(source: string): string[] {
  const tokenizer = protobuf.tokenize(source, false)
  const tokens: string[] = []
  for (let token = tokenizer.next(); token !== null; token = tokenizer.next()) {
    if (token === '"' || token === "'") {
      tokenizer.next() // the text
      tokenizer.next() // the closing quote
      tokens.push(STRING)
    } else {
      tokens.push(token)
    }
  }
  return tokens
}

/**
 * The message lists of a `.proto` source in protoc's order: the file's messages, each with its
 * nested messages, groups and map entries as declared. Enums, services, options and ordinary
 * fields take no place. Expects source that protobufjs has parsed (it is not a validator).
 */
export function messageSlots(source: string): MessageSlot[] {
  const tokens = tokensOf(source)
  const top: MessageSlot[] = []
  readBody(tokens, 0, top, false)
  return top
}

/** Reads declarations from `start` into `into` until the `}` that closes the body (or the end); returns the index after it. */
function readBody(tokens: readonly string[], start: number, into: MessageSlot[], closed: boolean): number {
  let at = start
  while (at < tokens.length) {
    const token = tokens[at] as string
    if (token === '}') {
      if (closed) return at + 1
      at++
      continue
    }
    if (token === 'message' || token === 'group') {
      at = readMessage(tokens, at + 1, into)
    } else if ((token === 'optional' || token === 'required' || token === 'repeated') && tokens[at + 1] === 'group') {
      at = readMessage(tokens, at + 2, into)
    } else if (token === 'oneof' || token === 'extend') {
      // A group inside takes its place in the enclosing message (or file), as in protoc.
      at = readBody(tokens, openingBrace(tokens, at) + 1, into, true)
    } else if (token === 'enum' || token === 'service') {
      at = skipBlock(tokens, openingBrace(tokens, at))
    } else if (token === 'map' && tokens[at + 1] === '<') {
      const close = tokens.indexOf('>', at)
      into.push({ name: mapEntryName(tokens[close + 1] ?? ''), mapEntry: true, nested: [] })
      at = skipStatement(tokens, close + 1)
    } else {
      at = skipStatement(tokens, at)
    }
  }
  return at
}

/** A message or group whose name is at `at`: its body (after `= n [options]` for a group) is read for its own slots. */
function readMessage(tokens: readonly string[], at: number, into: MessageSlot[]): number {
  const nested: MessageSlot[] = []
  into.push({ name: tokens[at] ?? '', mapEntry: false, nested })
  return readBody(tokens, openingBrace(tokens, at) + 1, nested, true)
}

/** The index of the first `{` from `at` outside `[…]` field options. */
function openingBrace(tokens: readonly string[], at: number): number {
  let depth = 0
  for (let i = at; i < tokens.length; i++) {
    const token = tokens[i]
    if (token === '[') depth++
    else if (token === ']') depth--
    else if (token === '{' && depth === 0) return i
  }
  return tokens.length
}

/** The index after the `}` that closes the `{` at `open`. */
function skipBlock(tokens: readonly string[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i] === '{') depth++
    else if (tokens[i] === '}' && --depth === 0) return i + 1
  }
  return tokens.length
}

/** The index after the `;` that ends the statement at `at` (aggregate option values `{…}` and `[…]` included); stops before a `}` that closes the body. */
function skipStatement(tokens: readonly string[], at: number): number {
  let depth = 0
  for (let i = at; i < tokens.length; i++) {
    const token = tokens[i]
    if (token === '{' || token === '[' || token === '(') depth++
    else if (token === '}' || token === ']' || token === ')') {
      if (--depth < 0) return i
    } else if (token === ';' && depth === 0) return i + 1
  }
  return tokens.length
}
