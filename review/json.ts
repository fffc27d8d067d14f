/** JSON helpers the review tools share. */

/** A JSON object (not null, not an array): what the tools walk into, field by field. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** JSON with sorted keys: equal values compare equal whatever their key order or origin. */
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (isPlainObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** Whether two JSON values are equal as data (key order aside); undefined counts as null. */
export const sameJson = (a: unknown, b: unknown): boolean => canonical(a ?? null) === canonical(b ?? null);
