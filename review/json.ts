/** JSON helpers the review tools share. */

/** A JSON object (not null, not an array): what the tools walk into, field by field. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
