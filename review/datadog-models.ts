/**
 * A JSON body checked against the Datadog API client's models (@datadog/datadog-api-client, v1): its
 * ObjectSerializer refuses a missing required field and marks a value outside an enumeration or a union it
 * cannot tell (`oneOf`: an unknown widget type) as unparsed; a key no model declares lands in
 * `additionalProperties`. Every such place is a problem, named by its path.
 */
import { ObjectSerializer } from "@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/models/ObjectSerializer";
import { UnparsedObject } from "@datadog/datadog-api-client/dist/packages/datadog-api-client-common/util";

export function datadogModelProblems(body: unknown, type: string): string[] {
  let parsed: unknown;
  try {
    parsed = ObjectSerializer.deserialize(body, type, "");
  } catch (err) {
    return [`${type}: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (v instanceof UnparsedObject) {
      problems.push(`${at}: not a value the model knows (${JSON.stringify((v as unknown as { _data?: unknown })._data ?? v).slice(0, 120)})`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
    if (v === null || typeof v !== "object" || v instanceof Date) return;
    const o = v as Record<string, unknown>;
    if (o.additionalProperties && Object.keys(o.additionalProperties).length > 0) problems.push(`${at}: keys the model does not declare: ${Object.keys(o.additionalProperties).join(", ")}`);
    for (const [k, x] of Object.entries(o)) if (k !== "additionalProperties" && k !== "_unparsed") walk(x, at ? `${at}.${k}` : k);
  };
  walk(parsed, type);
  return problems;
}
