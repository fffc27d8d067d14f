/**
 * `npm run --silent deploy-window -- <environment> [--at <ISO time>]`: exits 0 when the environment's
 * deployment window is open (now, or at the given time), 1 with the window and the local time when it is not.
 * The deploy job runs it before it applies.
 */
import { loadMatrix } from "../config";
import { describeWindow, localTime, windowIsOpen } from "../config/promotion";

function main(args: string[]): number {
  const [environment, flag, iso] = args;
  const m = loadMatrix();
  const e = environment === undefined ? undefined : m.environments[environment];
  if (!e || (flag !== undefined && (flag !== "--at" || iso === undefined))) {
    console.error(`usage: deploy-window <${Object.keys(m.environments).join(" | ")}> [--at <ISO time>]`);
    return 2;
  }
  const at = iso === undefined ? new Date() : new Date(iso);
  if (Number.isNaN(at.getTime())) {
    console.error(`deploy-window: ${iso} is not a date and time`);
    return 2;
  }
  const w = e.deploymentWindow;
  if (windowIsOpen(w, at)) {
    console.log(`${environment}: deployment window open (${describeWindow(w)})`);
    return 0;
  }
  const local = localTime(at, w!.timeZone);
  const hhmm = `${String(local.hour).padStart(2, "0")}:${String(local.minute).padStart(2, "0")}`;
  console.error(`${environment}: deployment window closed: deploys may start ${describeWindow(w)}; it is ${local.day} ${hhmm} there now`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
