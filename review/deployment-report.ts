/**
 * `npm run report-deployment -- <env> …`: after an apply, tells Datadog that the environment was deployed, through
 * @datadog/datadog-api-client:
 * - a DORA deployment per service (POST /api/v2/dora/deployment: service, env, start and finish in nanoseconds,
 *   the commit and repository, an id that makes a re-run the same deployment, tagged
 *   `deployment_type:infrastructure`), from which Datadog's DORA Metrics compute deployment frequency and change
 *   lead time per environment. A failed apply deployed nothing, so it sends none; DORA Metrics finds failed changes by
 *   rollbacks and incidents. Nor does a successful apply of a plan that changed no object (an output, an import as
 *   it is, a removed block): it deployed nothing, and deployment frequency would count it;
 * - an event per service (POST /api/v1/events) tagged `env:<env>`, `deployment`, `managed-by:envmatrix`,
 *   `service:<name>` and `outcome:success|failure` (and `changes:none` after an apply that changed nothing), which
 *   the environment's dashboard counts (deploy success rate: every apply, whatever it changed) and lists
 *   (constructs/datadog-dashboard.ts).
 *
 * Reporting never fails a deploy: every failure becomes a line of the job summary, and the command exits 0.
 */
import { DORAMetricsApi } from "@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/DORAMetricsApi";
import { EventsApi } from "@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/EventsApi";
import { deploymentEventTags } from "../config/datadog-queries";
import { datadogConfiguration } from "./datadog-client";
import { errorDetail } from "./http-errors";
import { createHash } from "node:crypto";

/**
 * The DORA deployment's id: the same apply reported twice (a re-run job) is one deployment. Datadog takes 16 to 128
 * characters (datadog-api-client 1.64.0 DORADeploymentRequestAttributes `id`: "Must be 16-128 characters"); the
 * matrix allows names that would make the readable form longer (a 63-character environment, a 50-character
 * service), which Datadog would refuse (400): those get a digest of the pair instead.
 */
export function doraDeploymentId(environment: string, service: string, commit: string): string {
  const readable = `envmatrix-${environment}-${service}-${commit.slice(0, 12)}`;
  if (readable.length <= 128) return readable;
  return `envmatrix-${createHash("sha256").update(`${environment}/${service}`).digest("hex").slice(0, 40)}-${commit.slice(0, 12)}`;
}

export interface DeploymentReport {
  readonly environment: string;
  readonly services: readonly { readonly name: string; readonly team: string }[];
  readonly commit: string;
  /** https://github.com/<owner>/<repository> */
  readonly repositoryUrl: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly outcome: "success" | "failure";
  /** The run that applied, for the event's text. */
  readonly runUrl?: string;
  /**
   * Whether the applied plan created, updated, replaced or deleted an object; `false`: a successful apply changed
   * nothing, so it deployed nothing (no DORA deployment; its events say `changes:none`). Unknown: as if it did.
   */
  readonly changedObjects?: boolean;
}

export interface DatadogEndpoint {
  readonly apiUrl: string;
  readonly apiKey: string;
}

/** Nanoseconds since the epoch, as DORA's started_at and finished_at take them. */
const nanoseconds = (d: Date) => d.getTime() * 1_000_000;

/** Sends the report; each line says what was sent or why not. Never throws. */
export async function reportDeployment(r: DeploymentReport, dd: DatadogEndpoint): Promise<{ lines: string[]; complete: boolean }> {
  if (!dd.apiKey) return { lines: [`Datadog: deployment of ${r.environment} not reported: no DD_API_KEY (the deploy itself is unaffected)`], complete: false };
  const configuration = datadogConfiguration(dd.apiUrl, dd.apiKey);
  const dora = new DORAMetricsApi(configuration);
  const events = new EventsApi(configuration);
  const lines: string[] = [];
  let complete = true;
  const deployed = r.outcome === "success" && r.changedObjects !== false;
  for (const s of r.services) {
    if (r.outcome === "success" && !deployed) {
      lines.push(`Datadog: no DORA deployment of ${s.name} in ${r.environment}: the applied plan changed no object`);
    }
    if (deployed) {
      try {
        await dora.createDORADeployment({
          body: {
            data: {
              attributes: {
                service: s.name,
                env: r.environment,
                team: s.team,
                startedAt: nanoseconds(r.startedAt),
                finishedAt: nanoseconds(r.finishedAt),
                git: { commitSha: r.commit, repositoryUrl: r.repositoryUrl },
                // an infrastructure change to the service's environment, not a release of the service: tagged so
                // DORA views can tell the two apart, and without a `version` (which APM Deployment Tracking would
                // match against the service's own traces)
                customTags: ["deployment_type:infrastructure", "managed-by:envmatrix"],
                id: doraDeploymentId(r.environment, s.name, r.commit),
              },
            },
          },
        });
        lines.push(`Datadog: DORA deployment of ${s.name} in ${r.environment} reported`);
      } catch (err) {
        complete = false;
        lines.push(`Datadog: DORA deployment of ${s.name} in ${r.environment} NOT reported (${errorDetail(err)}); the deploy itself is unaffected`);
      }
    }
    try {
      await events.createEvent({
        body: {
          title: `Deployed ${r.environment}: ${r.outcome === "success" ? "succeeded" : "failed"} (${r.commit.slice(0, 12)})`,
          text: `envmatrix applied the ${r.environment} stack at ${r.commit}${r.runUrl ? ` (${r.runUrl})` : ""}: ${r.outcome}.`,
          tags: [...deploymentEventTags(r.environment), `service:${s.name}`, `team:${s.team}`, `outcome:${r.outcome}`, ...(r.changedObjects === false ? ["changes:none"] : [])],
          alertType: r.outcome === "success" ? "success" : "error",
          sourceTypeName: "envmatrix",
          dateHappened: Math.floor(r.finishedAt.getTime() / 1000),
        },
      });
      lines.push(`Datadog: deployment event of ${s.name} in ${r.environment} (${r.outcome}) reported`);
    } catch (err) {
      complete = false;
      lines.push(`Datadog: deployment event of ${s.name} in ${r.environment} NOT reported (${errorDetail(err)}); the deploy itself is unaffected`);
    }
  }
  return { lines, complete };
}
