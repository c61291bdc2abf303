export interface DbscanResult {
  /** Cluster id per point, from 0 in order of discovery; -1 is noise. */
  labels: Int32Array;
  /** 1 where the point is a core point. */
  core: Uint8Array;
}

export const ENGINES = ['fast', 'density-clustering'] as const;
export type Engine = (typeof ENGINES)[number];
