/**
 * The runtime guards the protocols are written with (topology.ts, worker.ts): each checks a value that came from
 * another process or from a webview, and a request is defined once as its parameter and result guards, from which
 * its types are derived (Guarded).
 */
export type Guard<T> = (x: unknown) => x is T;
/** The type a guard checks. */
export type Guarded<G> = G extends Guard<infer T> ? T : never;

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
export const isString = (x: unknown): x is string => typeof x === 'string';
export const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
export const isBool = (x: unknown): x is boolean => typeof x === 'boolean';
export const isInt = (x: unknown): x is number => Number.isInteger(x);
export function oneOf<T extends string>(values: readonly T[]): Guard<T> {
  return (x): x is T => typeof x === 'string' && (values as readonly string[]).includes(x);
}
export function arrayOf<T>(g: Guard<T>): Guard<T[]> {
  return (x): x is T[] => Array.isArray(x) && x.every(g);
}
export function opt<T>(g: Guard<T>): Guard<T | undefined> {
  return (x): x is T | undefined => x === undefined || g(x);
}
export function nullable<T>(g: Guard<T>): Guard<T | null> {
  return (x): x is T | null => x === null || g(x);
}
/** An object whose listed fields match; other fields are not allowed. */
export function shape<T>(fields: Record<string, Guard<unknown>>): Guard<T> {
  return (x): x is T => {
    if (!isObject(x)) return false;
    for (const k of Object.keys(x)) if (!(k in fields)) return false;
    for (const [k, g] of Object.entries(fields)) if (!g(x[k])) return false;
    return true;
  };
}
/** An object whose listed fields match; it may carry others (a result the other side may grow). */
export function fields<T>(fields: Record<string, Guard<unknown>>): Guard<T> {
  return (x): x is T => isObject(x) && Object.entries(fields).every(([k, g]) => g(x[k]));
}
export function record<T>(keys: Guard<string>, values: Guard<T>): Guard<Record<string, T>> {
  return (x): x is Record<string, T> => isObject(x) && Object.entries(x).every(([k, v]) => keys(k) && values(v));
}
/** A request: the guard of its parameters and the guard of its result. */
export const request = <P, R>(params: Guard<P>, result: Guard<R>) => ({ params, result });
