/** Branch → environment resolution and the deployment window, as the deploy workflow uses them. */
import { cli } from "./cli";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { branchMatches, environmentsForBranch, NoEnvironmentError, windowIsOpen } from "../config/promotion";
import type { DeploymentWindow } from "../config/types";
import { changedStacks } from "../review/changed-stacks";
import { seedMatrix } from "./helpers";

const envs = (ref: string) => environmentsForBranch(seedMatrix, ref).map((t) => t.environment);

describe("branch patterns (GitHub's matching)", () => {
  it.each([
    ["main", "main", true],
    ["main", "main2", false],
    ["hotfix/*", "hotfix/login", true],
    ["hotfix/*", "hotfix/a/b", false],
    ["hotfix/**", "hotfix/a/b", true],
    ["release-*", "release-1.2", true],
    ["release/*", "release/1.2", true],
    ["release-*-rc", "release-1.2-rc", true],
    // anything else in a pattern is itself, a regular expression's characters too
    ["v1.2", "v1.2", true],
    ["v1.2", "v1x2", false],
    ["a+b", "a+b", true],
    ["a+b", "aab", false],
  ])("%s matches %s: %s", (pattern, branch, expected) => expect(branchMatches(pattern, branch)).toBe(expected));
});

describe("branch → environment", () => {
  it("main deploys the gates, staging, then prod (prod behind its reviewers and window)", () => expect(envs("main")).toEqual(["gates", "staging", "prod"]));
  it("refs/heads/main is main", () => expect(envs("refs/heads/main")).toEqual(["gates", "staging", "prod"]));
  it("develop, a reviewed branch, deploys dev and staging", () => expect(envs("develop")).toEqual(["dev", "staging"]));
  it("a feature branch, unreviewed, deploys nothing", () => expect(() => envs("feature/login-form")).toThrow(NoEnvironmentError));
  it("hotfix/x deploys hotfix, and nothing else", () => expect(envs("hotfix/x")).toEqual(["hotfix"]));
  it("each target carries its deploy and plan GitHub environments, so each job runs under that environment's rules", () => {
    expect(environmentsForBranch(seedMatrix, "main")).toEqual([
      { environment: "gates", githubEnvironment: "envmatrix-gates", planEnvironment: "envmatrix-gates-plan", backend: "local", protected: true },
      { environment: "staging", githubEnvironment: "staging", planEnvironment: "staging-plan", backend: "local", protected: false },
      { environment: "prod", githubEnvironment: "production", planEnvironment: "production-plan", backend: "local", protected: true },
    ]);
  });

  it("an unknown branch gets a clear no", () => {
    expect(() => environmentsForBranch(seedMatrix, "experiment")).toThrow(
      /^no environment deploys from this branch: experiment \(deploy branches: dev: develop; staging: develop, main; prod: main; hotfix: hotfix\/\*\)$/,
    );
  });

  it("deploys in promotion order, whatever order the matrix lists its environments in", () => {
    // the same environments listed in reverse: the order a push deploys in is promotionOrder's, never the keys'
    const reversed = { ...seedMatrix, environments: Object.fromEntries(Object.entries(seedMatrix.environments).reverse()) };
    expect(Object.keys(reversed.environments)).not.toEqual(seedMatrix.promotionOrder);
    const fromMain = seedMatrix.promotionOrder.filter((n) => seedMatrix.environments[n].identity.deployBranches.includes("main"));
    expect(fromMain.length).toBeGreaterThan(1);
    expect(environmentsForBranch(reversed, "main").map((t) => t.environment)).toEqual(["gates", ...fromMain]);
  });

  it("a tag is not a branch", () => {
    expect(() => environmentsForBranch(seedMatrix, "refs/tags/v1.0.0")).toThrow("refs/tags/v1.0.0 is not a branch");
  });

  it("the CLI prints a job matrix, and exits 3 with the message for a branch nobody deploys from", async () => {
    const out = (await cli(["resolve-environment", "hotfix/login"])).stdout;
    expect(JSON.parse(out)).toEqual({ include: [{ environment: "hotfix", githubEnvironment: "hotfix", planEnvironment: "hotfix-plan", backend: "local", protected: true }] });
    const tag = await cli(["resolve-environment", "refs/tags/v1"]);
    expect(tag.code).toBe(3);
    expect(tag.stderr).toContain("is not a branch");
  });
});

describe("branch → environment, edges", () => {
  it("no branch, or a blank one: a clear no", () => {
    for (const ref of ["", "refs/heads/", " "]) expect(() => envs(ref)).toThrow(new NoEnvironmentError("no branch given"));
  });
  it("refs/heads/ is taken off the front only: a branch with it inside is another branch", () => {
    expect(() => envs("hotfix/refs/heads/x")).toThrow(NoEnvironmentError); // not hotfix/x
  });
  it("an environment outside the promotion order (an unprotected one may be) deploys after those in it, in matrix order", () => {
    const m = { ...structuredClone(seedMatrix), promotionOrder: ["staging", "prod", "hotfix"] };
    expect(environmentsForBranch(m, "develop").map((t) => t.environment)).toEqual(["staging", "dev"]);
  });
});

describe("stacks and what they are applied like", () => {
  const { appliedLike, approverHandles } = require("../config/promotion") as typeof import("../config/promotion");
  const { stackOf, teamStacks } = require("../config/stacks") as typeof import("../config/stacks");
  const { environmentNamed } = require("../config") as typeof import("../config");
  const split = structuredClone(seedMatrix) as any;
  split.services = [{ name: "api", team: "platform" }, { name: "billing", team: "payments" }];
  split.environments.prod.splitByTeam = true;

  it("the gates stack like the environment it follows, an environment's and a team's stack like the environment; anything else like nothing", () => {
    expect(appliedLike(split, "gates")).toBe(split.environments[split.organization.gates.followsEnvironment]);
    expect(appliedLike(split, "staging")).toBe(split.environments.staging);
    expect(appliedLike(split, "prod-payments")).toBe(split.environments.prod);
    expect([appliedLike(split, "qa"), appliedLike(split, "staging-payments")]).toEqual([undefined, undefined]);
  });
  it("stackOf names each kind; teamStacks of an environment the matrix lacks is none", () => {
    expect(stackOf(split, "prod-payments")).toEqual({ kind: "team", environment: "prod", team: "payments", services: [{ name: "billing", team: "payments" }] });
    expect([stackOf(split, "gates"), stackOf(split, "dev"), stackOf(split, "qa")]).toEqual([{ kind: "gates" }, { kind: "environment", environment: "dev" }, undefined]);
    expect(teamStacks(split, "qa")).toEqual([]);
  });
  it("an environment by name, or an error listing the matrix's", () => {
    expect(environmentNamed(seedMatrix, "dev")).toBe(seedMatrix.environments.dev);
    expect(() => environmentNamed(seedMatrix, "qa")).toThrow(`no environment "qa" (environments: ${Object.keys(seedMatrix.environments).join(", ")})`);
  });
  it("approvers as GitHub handles: @<owner>/<team> and @<user>", () => {
    const e = structuredClone(seedMatrix.environments.prod);
    (e.approval.reviewers as any) = { teams: ["release-managers"], users: ["octocat"] };
    expect(approverHandles(seedMatrix, e)).toEqual([`@${seedMatrix.organization.github.owner}/release-managers`, "@octocat"]);
  });
});

describe("deployment window", () => {
  // Mon–Thu 09:00–16:00 in Berlin; 26 Nov 2026 is a Thursday, Berlin is UTC+1 in November.
  const w: DeploymentWindow = { timeZone: "Europe/Berlin", days: ["Mon", "Tue", "Wed", "Thu"], startHour: 9, endHour: 16 };
  it.each([
    ["Thu 08:59 Berlin, a minute before it opens", "2026-11-26T07:59:00Z", false],
    ["Thu 09:00 Berlin, as it opens", "2026-11-26T08:00:00Z", true],
    ["Thu 15:59 Berlin, its last minute", "2026-11-26T14:59:00Z", true],
    ["Thu 16:00 Berlin, as it closes", "2026-11-26T15:00:00Z", false],
    ["Fri 10:00 Berlin, a day it is shut", "2026-11-27T09:00:00Z", false],
    ["Mon 00:30 Berlin while it is still Sunday in UTC", "2026-11-29T23:30:00Z", false],
    ["Mon 09:30 Berlin in summer time (UTC+2)", "2026-06-29T07:30:00Z", true],
  ])("%s: open %s", (_what, iso, open) => expect(windowIsOpen(w, new Date(iso))).toBe(open));

  it.each([
    ["2026-11-23T12:00:00Z", "Mon"],
    ["2026-11-24T12:00:00Z", "Tue"],
    ["2026-11-25T12:00:00Z", "Wed"],
    ["2026-11-26T12:00:00Z", "Thu"],
    ["2026-11-27T12:00:00Z", "Fri"],
    ["2026-11-28T12:00:00Z", "Sat"],
    ["2026-11-29T12:00:00Z", "Sun"],
  ])("%s is a %s in UTC", (iso, day) => {
    const { localTime } = require("../config/promotion") as typeof import("../config/promotion");
    expect(localTime(new Date(iso), "UTC")).toEqual({ day, hour: 12, minute: 0 });
  });

  it("a null window is always open", () => expect(windowIsOpen(null, new Date("2026-11-28T03:00:00Z"))).toBe(true));

  it("comes from the matrix: prod has the business-hours gate, hotfix does not", () => {
    expect(seedMatrix.environments.prod.deploymentWindow).toEqual(w);
    expect(seedMatrix.environments.hotfix.deploymentWindow).toBeNull();
  });

  it("the CLI exits 4 outside the window, naming it, and 0 inside", async () => {
    const at = (iso: string) => cli(["deploy-window", "prod", "--at", iso]);
    const closed = await at("2026-11-27T09:00:00Z");
    expect(closed.code).toBe(4);
    expect(closed.stderr).toContain("prod: deployment window closed: deploys may start Mon, Tue, Wed, Thu 09:00–16:00 Europe/Berlin; it is Fri 10:00 there now");
    expect((await at("2026-11-26T08:00:00Z")).code).toBe(0);
    // a time before ten in the morning there, written as a clock does
    expect((await at("2026-11-29T07:05:00Z")).stderr).toContain("it is Sun 08:05 there now");
  });
});

describe("changed stacks", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envmatrix-changed-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const out = (dir: string, stacks: Record<string, string>) => {
    const base = path.join(tmp, dir);
    const manifest = { stacks: Object.fromEntries(Object.keys(stacks).map((s) => [s, { synthesizedStackPath: `stacks/${s}/cdk.tf.json` }])) };
    for (const [s, body] of Object.entries(stacks)) {
      fs.mkdirSync(path.join(base, "stacks", s), { recursive: true });
      fs.writeFileSync(path.join(base, "stacks", s, "cdk.tf.json"), body);
    }
    fs.writeFileSync(path.join(base, "manifest.json"), JSON.stringify(manifest));
    return base;
  };

  it("lists stacks changed, added or removed, and not the unchanged", () => {
    const base = out("base", { dev: "{}", staging: '{"a":1}', prod: "{}" });
    const head = out("head", { dev: "{}", staging: '{"a":2}', hotfix: "{}" });
    expect(changedStacks(base, head)).toEqual(["hotfix", "prod", "staging"]);
    expect(changedStacks(base, base)).toEqual([]);
  });

  it("says clearly when a folder is not a synth output", () => {
    expect(() => changedStacks(path.join(tmp, "nowhere"), path.join(tmp, "nowhere"))).toThrow(/nowhere: no such folder \(run npm run synth to create cdktf\.out\)/);
    fs.mkdirSync(path.join(tmp, "empty"));
    expect(() => changedStacks(path.join(tmp, "empty"), path.join(tmp, "empty"))).toThrow(/no manifest\.json \(is this a cdktf\.out folder\? run npm run synth\)/);
  });
});
