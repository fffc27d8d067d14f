/**
 * prevent_destroy in one place. A construct marks the resources whose deletion loses data or access
 * (`keptWhenProtected`); a stack calls `protect(scope)` where the environment is protected, and an Aspect sets
 * `lifecycle { prevent_destroy = true }` on every marked resource under that scope at synth. The constructs no
 * longer each take a `preventDestroy` prop and repeat the same lifecycle line.
 */
import { Aspects, TerraformResource, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";

const KEPT = new WeakSet<IConstruct>();

/** Marks a resource that a protected environment refuses to destroy; returns it. */
export function keptWhenProtected<T extends TerraformResource>(resource: T): T {
  KEPT.add(resource);
  return resource;
}

class PreventDestroy implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof TerraformResource && KEPT.has(node)) node.lifecycle = { ...node.lifecycle, preventDestroy: true };
  }
}

/** Every resource marked with `keptWhenProtected` under `scope` gets prevent_destroy. */
export function protect(scope: IConstruct): void {
  Aspects.of(scope).add(new PreventDestroy());
}
