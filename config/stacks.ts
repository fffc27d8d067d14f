/**
 * The Terraform stacks a matrix synthesizes, by name: the gates stack, one per environment, and, for an environment
 * with `splitByTeam`, one per team of the services (`<environment>-<team>`: the team's services' service accounts,
 * ExternalSecrets, monitors and SLOs, in a state of their own). Pure functions over the matrix: the synthesis, the
 * workflows' targets and the reviewer tools read stack names from here.
 */
import { GATES_STACK } from "./rules";
import type { Matrix, Service } from "./types";

/** The teams of the matrix's services, in the order they first appear. */
export const teamsOf = (services: readonly Service[]): string[] => [...new Set(services.map((s) => s.team))];

/** A team stack's name. */
export const teamStackName = (environment: string, team: string) => `${environment}-${team}`;

/** The team stacks of an environment (none unless it splits by team), in the teams' order. */
export function teamStacks(m: Matrix, environment: string): { name: string; team: string; services: Service[] }[] {
  if (!m.environments[environment]?.splitByTeam) return [];
  return teamsOf(m.services).map((team) => ({ name: teamStackName(environment, team), team, services: m.services.filter((s) => s.team === team) }));
}

/** Every stack: the gates first, then each environment followed by its team stacks. */
export function stackNames(m: Matrix): string[] {
  return [GATES_STACK, ...Object.keys(m.environments).flatMap((e) => [e, ...teamStacks(m, e).map((t) => t.name)])];
}

/** What a stack is: the gates stack, an environment's, or a team's within an environment. */
export function stackOf(m: Matrix, stack: string): { kind: "gates" } | { kind: "environment"; environment: string } | { kind: "team"; environment: string; team: string; services: Service[] } | undefined {
  if (stack === GATES_STACK) return { kind: "gates" };
  if (m.environments[stack]) return { kind: "environment", environment: stack };
  for (const environment of Object.keys(m.environments)) {
    const t = teamStacks(m, environment).find((x) => x.name === stack);
    if (t) return { kind: "team", environment, team: t.team, services: t.services };
  }
  return undefined;
}
