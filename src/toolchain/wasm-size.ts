/**
 * Function body sizes of a WebAssembly module, read from its code section. circom writes each template's
 * witness code as one function, and V8 refuses to compile a function over 7,654,321 bytes.
 */
export const V8_MAX_FUNCTION_BYTES = 7_654_321;

/** Sizes in bytes of the module's function bodies, in order. */
export function wasmFunctionSizes(bytes: Uint8Array): number[] {
  let at = 8; // magic and version
  const leb = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 10) {
      const sizes: number[] = [];
      for (let n = leb(); n > 0; n--) {
        const s = leb();
        sizes.push(s);
        at += s;
      }
      return sizes;
    }
    at = end;
  }
  return [];
}
