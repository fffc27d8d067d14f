/**
 * A Datadog metric monitor query read by its parts, for tests: `<time aggregation>(<window>):<expression>
 * <comparator> <threshold>` ("Monitor API: query", docs.datadoghq.com/api/latest/monitors/#create-a-monitor),
 * the expression as a tree of metric terms, numbers and + - * / (precedence as usual), so a test asserts which
 * series sits in the numerator or on the left of a subtraction, not merely that a tag occurs somewhere.
 */

export interface MetricTerm {
  readonly kind: "metric";
  /** The space aggregation (`sum`, `avg`, …) or percentile (`p99`). */
  readonly aggregation: string;
  readonly metric: string;
  /** The scope's tags, `key:value` → { key: value }. */
  readonly tags: Readonly<Record<string, string>>;
  /** `.as_count()` and the like. */
  readonly functions: readonly string[];
  /** The tags of its `by {…}`: one series per value (a multi-alert monitor's groups). */
  readonly by: readonly string[];
}
export interface NumberTerm {
  readonly kind: "number";
  readonly value: number;
}
export interface Operation {
  readonly kind: "op";
  readonly op: "+" | "-" | "*" | "/";
  readonly left: Expression;
  readonly right: Expression;
}
export type Expression = MetricTerm | NumberTerm | Operation;

export interface MonitorQuery {
  readonly timeAggregation: string;
  readonly window: string;
  readonly expression: Expression;
  readonly comparator: ">" | ">=" | "<" | "<=";
  readonly threshold: number;
  /** The threshold as written (Datadog compares it with monitor_thresholds.critical). */
  readonly thresholdText: string;
}

export function parseMonitorQuery(query: string): MonitorQuery {
  const head = /^([a-z0-9_]+)\((last_[0-9]+[mhdw])\):(.*) (>=|<=|>|<) (-?[0-9.]+)$/.exec(query);
  if (!head) throw new Error(`not a metric monitor query: ${query}`);
  const [, timeAggregation, window, body, comparator, thresholdText] = head;
  return { timeAggregation, window, expression: parseExpression(body, query), comparator: comparator as MonitorQuery["comparator"], threshold: Number(thresholdText), thresholdText };
}

const TOKEN = /\s*(?:([a-z0-9_]+:[a-z0-9_.]+\{[^}]*\}(?: by \{[^}]*\})?(?:\.[a-z_]+\(\))*)|([0-9]+(?:\.[0-9]+)?)|([()+\-*/]))/y;

function parseExpression(body: string, query: string): Expression {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < body.trimEnd().length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(body);
    if (!m) throw new Error(`cannot read "${body.slice(at)}" in ${query}`);
    tokens.push(m[1] ?? m[2] ?? m[3]);
  }
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];
  const binary = (next: () => Expression, ops: string[]) => (): Expression => {
    let left = next();
    while (ops.includes(peek())) {
      const op = take() as Operation["op"];
      left = { kind: "op", op, left, right: next() };
    }
    return left;
  };
  const primary = (): Expression => {
    const t = take();
    if (t === undefined) throw new Error(`unexpected end of ${query}`);
    if (t === "(") {
      const e = sum();
      if (take() !== ")") throw new Error(`unbalanced parentheses in ${query}`);
      return e;
    }
    if (/^[0-9]/.test(t)) return { kind: "number", value: Number(t) };
    const m = /^([a-z0-9_]+):([a-z0-9_.]+)\{([^}]*)\}(?: by \{([^}]*)\})?((?:\.[a-z_]+\(\))*)$/.exec(t);
    if (!m) throw new Error(`unexpected "${t}" in ${query}`);
    const tags = Object.fromEntries(m[3].split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf(":")), kv.slice(kv.indexOf(":") + 1)]));
    const by = (m[4] ?? "").split(",").filter(Boolean);
    return { kind: "metric", aggregation: m[1], metric: m[2], tags, functions: m[5].split(".").filter(Boolean).map((f) => f.replace("()", "")), by };
  };
  const product = binary(primary, ["*", "/"]);
  const sum = binary(product, ["+", "-"]);
  const e = sum();
  if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]}" in ${query}`);
  return e;
}

/** Builders for expected trees, so a test reads like the formula. */
export const q = {
  metric: (aggregation: string, metric: string, tags: Record<string, string>, functions: string[] = [], by: string[] = []): MetricTerm => ({ kind: "metric", aggregation, metric, tags, functions, by }),
  n: (value: number): NumberTerm => ({ kind: "number", value }),
  op: (op: Operation["op"], left: Expression, right: Expression): Operation => ({ kind: "op", op, left, right }),
};

/**
 * A monitor message as Datadog renders it for one notification: `{{#var}}…{{/var}}` kept where the conditional
 * variable holds, `{{^var}}…{{/var}}` where it does not, nested as written (docs.datadoghq.com/monitors/notify/
 * variables, "Conditional variables"). Other template variables ({{value}}) are left as they are.
 */
export function renderMessage(message: string, holds: ReadonlySet<string>): string {
  const section = /\{\{([#^])([a-z_]+)\}\}((?:(?!\{\{[#^]\2\}\})[\s\S])*?)\{\{\/\2\}\}/;
  let out = message;
  for (let m = section.exec(out); m; m = section.exec(out)) {
    const keep = (m[1] === "#") === holds.has(m[2]);
    out = out.slice(0, m.index) + (keep ? m[3] : "") + out.slice(m.index + m[0].length);
  }
  return out;
}

/** The conditional variables that hold for each kind of notification (the docs' table of conditional variables). */
export const NOTIFICATIONS: Readonly<Record<string, readonly string[]>> = {
  alert: ["is_alert"],
  warning: ["is_warning"],
  "no data": ["is_no_data"],
  "alert recovery": ["is_recovery", "is_alert_recovery"],
  "warning recovery": ["is_recovery", "is_warning_recovery"],
  "no data recovery": ["is_recovery", "is_no_data_recovery"],
  "alert renotified": ["is_alert", "is_renotify"],
  "no data renotified": ["is_no_data", "is_renotify"],
  "alert to warning": ["is_warning", "is_alert_to_warning"],
};
