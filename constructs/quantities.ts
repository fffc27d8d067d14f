/** Kubernetes resource quantities from whole-unit numbers, written the way a person would write them. */

/** 500 → "500m", 2000 → "2", 42000 → "42". */
export function cpuQuantity(millicores: number): string {
  return millicores % 1000 === 0 ? `${millicores / 1000}` : `${millicores}m`;
}

/** 512 → "512Mi", 2048 → "2Gi". */
export function memoryQuantity(mebibytes: number): string {
  return mebibytes % 1024 === 0 ? `${mebibytes / 1024}Gi` : `${mebibytes}Mi`;
}
