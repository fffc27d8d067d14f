/**
 * `npm run dashboard-picture [-- <env>] [--check]`: a picture of an environment's Datadog dashboard layout, drawn
 * from its synthesized definition (datadog_dashboard_json) as SVG: every group and widget at its place on
 * Datadog's 12-column grid, with its type, its queries' metrics and its markers. Writes docs/dashboard-<env>.svg;
 * `--check` exits 1 when the file is not what the synthesis draws (the README shows it). No browser needed: the
 * layout is the dashboard's own, drawn box for box.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing, type App } from "cdktf";
import { loadMatrix } from "../config";
import { buildStack } from "../main";
import { withScratchFolder } from "../stacks/scratch-folder";

type Json = Record<string, any>;
const UNIT = 84; // px per grid column
const ROW = 56; // px per grid row
const PAD = 8;
const TITLE = 26;

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** What a widget shows, in a few short lines: its queries' metrics and its markers. */
function describeWidget(d: Json): string[] {
  const lines: string[] = [];
  for (const r of d.requests ?? []) {
    if (r.q) lines.push(String(r.q).replace(/\{[^}]*\}/g, "{…}").slice(0, 60));
    for (const q of r.queries ?? []) lines.push(`${q.name}: ${q.data_source} ${q.compute?.aggregation ?? ""}`.trim());
    for (const f of r.formulas ?? []) lines.push(`= ${f.formula}`);
    if (r.query?.query_string) lines.push(`${r.request_type ?? r.query.data_source}: ${r.query.query_string}`);
  }
  if (d.query) lines.push(String(d.query));
  for (const m of d.markers ?? []) lines.push(`marker ${m.value} (${m.label})`);
  for (const e of d.events ?? []) lines.push(`events: ${e.q}`);
  return lines;
}

export function dashboardSvg(dashboard: Json): string {
  const groups: Json[] = dashboard.widgets;
  // a group's box: its title, then its widgets' rows (the group's own grid height counts its title as a row)
  const boxHeight = (g: Json) => TITLE + Math.max(...g.definition.widgets.map((w: Json) => w.layout.y + w.layout.height)) * ROW + 4;
  const width = 12 * UNIT + 2 * PAD;
  const top = TITLE + 36 + PAD;
  const height = top + groups.reduce((h, g) => h + boxHeight(g) + PAD, 0) + PAD;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#f7f7fa"/>`,
    `<text x="${PAD}" y="${PAD + 18}" font-size="18" font-weight="bold" fill="#1d1d26">${escape(dashboard.title)}</text>`,
    `<text x="${PAD}" y="${PAD + 40}" font-size="12" fill="#55556a">template variable: ${escape(dashboard.template_variables.map((t: Json) => `$${t.name} (${t.available_values.join(", ")})`).join(" "))}</text>`,
  ];
  let gy = top;
  // groups in the dashboard's order, which is their order on its grid (ordered layout, one group per row band)
  for (const g of groups) {
    const gx = PAD + g.layout.x * UNIT;
    const gh = boxHeight(g);
    out.push(`<rect x="${gx}" y="${gy}" width="${g.layout.width * UNIT}" height="${gh}" rx="6" fill="#ffffff" stroke="#632ca6" stroke-width="1.5"/>`);
    out.push(`<text x="${gx + 10}" y="${gy + 18}" font-size="14" font-weight="bold" fill="#632ca6">${escape(g.definition.title)}</text>`);
    for (const w of g.definition.widgets) {
      const x = gx + w.layout.x * UNIT + 6;
      const y = gy + TITLE + w.layout.y * ROW;
      const wd = w.layout.width * UNIT - 12;
      const ht = w.layout.height * ROW - 6;
      out.push(`<rect x="${x}" y="${y}" width="${wd}" height="${ht}" rx="4" fill="#f0ecf8" stroke="#b9a3dc"/>`);
      out.push(`<text x="${x + 8}" y="${y + 16}" font-size="12" font-weight="bold" fill="#1d1d26">${escape(w.definition.title)}</text>`);
      out.push(`<text x="${x + 8}" y="${y + 30}" font-size="10" fill="#6d6d80">${escape(w.definition.type)}</text>`);
      const maxChars = Math.floor(wd / 5.6);
      describeWidget(w.definition)
        .slice(0, Math.floor((ht - 40) / 13))
        .forEach((l, i) => out.push(`<text x="${x + 8}" y="${y + 46 + i * 13}" font-size="10" fill="#33334a">${escape(l.length > maxChars ? `${l.slice(0, maxChars - 1)}…` : l)}</text>`));
    }
    gy += gh + PAD;
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** The environment's dashboard definition, as its stack synthesizes it. */
export function synthesizedDashboard(env: string): Json {
  const m = loadMatrix();
  const json = withScratchFolder("envmatrix-picture-", (outdir) => JSON.parse(Testing.synth(buildStack(Testing.app({ outdir }) as unknown as App, m, env))));
  return JSON.parse(Object.values<Json>(json.resource.datadog_dashboard_json)[0].dashboard);
}

export const pictureFile = (env: string) => path.join(__dirname, "..", "docs", `dashboard-${env}.svg`);

export interface PictureIo {
  log(line: string): void;
  error(line: string): void;
  /** Where an environment's picture lives (docs/dashboard-<env>.svg). */
  file?: (env: string) => string;
}

/** The command: draws `<env>` (prod without one), then writes its picture, or with `--check` compares; the exit code. */
export function runDashboardPicture(args: readonly string[], io: PictureIo = { log: console.log, error: console.error }): number {
  const env = args.find((a) => !a.startsWith("--")) ?? "prod";
  const svg = dashboardSvg(synthesizedDashboard(env));
  const file = (io.file ?? pictureFile)(env);
  if (args.includes("--check")) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (current === svg) return 0;
    io.error(`${path.relative(process.cwd(), file)} is not what ${env}'s dashboard draws: npm run dashboard-picture -- ${env}`);
    return 1;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, svg);
  io.log(`${path.relative(process.cwd(), file)}: ${env}'s dashboard layout`);
  return 0;
}

if (require.main === module) process.exitCode = runDashboardPicture(process.argv.slice(2));
