import type { DbscanResult } from './types.ts';

/** Cell coordinates to cell ids, whatever the storage. */
interface CellIndex {
  /** The cell's id, or -1. */
  get(cx: number, cy: number): number;
  set(cx: number, cy: number, id: number): void;
}

/**
 * Cell coordinates to cell ids. A flat array when the grid is small enough (a few bytes per
 * ride), a hash map for a sparse grid (a tiny eps over a wide range).
 */
function cellIndex(rows: number, columns: number, n: number): CellIndex {
  const size = rows * columns;
  if (size <= Math.max(4 * n, 1 << 22)) {
    const ids = new Int32Array(size).fill(-1);
    return {
      get: (cx, cy) => ids[cx * rows + cy] ?? -1,
      set: (cx, cy, id) => {
        ids[cx * rows + cy] = id;
      },
    };
  }
  const ids = new Map<number, number>();
  return {
    get: (cx, cy) => ids.get(cx * rows + cy) ?? -1,
    set: (cx, cy, id) => {
      ids.set(cx * rows + cy, id);
    },
  };
}

/** The 24 cells around a cell as (dx, dy) pairs: the 8 adjacent ones first, then the outer ring. */
const OFFSETS = Int8Array.from(
  [
    [-1, -1],
    [-1, 0],
    [-1, 1],
    [0, -1],
    [0, 1],
    [1, -1],
    [1, 0],
    [1, 1],
    [-2, -2],
    [-2, -1],
    [-2, 0],
    [-2, 1],
    [-2, 2],
    [-1, -2],
    [-1, 2],
    [0, -2],
    [0, 2],
    [1, -2],
    [1, 2],
    [2, -2],
    [2, -1],
    [2, 0],
    [2, 1],
    [2, 2],
  ].flat(),
);
const ADJACENT_OFFSETS = 8;

/** Cells at most this many per axis, measured from 0: beyond, rounding could break the grid. */
const MAX_CELLS_PER_AXIS = 2 ** 20;

/**
 * Whether the grid is exact for these points: the cell side must be a normal positive number,
 * and every coordinate small enough in cells that rounding stays far inside the side's margin
 * (ulp(|x|) below side × 2⁻³²) and cell numbers fit comfortably in integers.
 */
export function gridIsExact(x: Float64Array, y: Float64Array, eps: number): boolean {
  const side = eps / Math.SQRT2;
  if (!(side >= Number.MIN_VALUE * 2 ** 60 && Number.isFinite(side))) return false;
  let largest = 0;
  for (let i = 0; i < x.length; i += 1) {
    largest = Math.max(largest, Math.abs(x[i] as number), Math.abs(y[i] as number));
  }
  return largest / side < MAX_CELLS_PER_AXIS;
}

/**
 * Exact DBSCAN on a uniform grid, with scikit-learn's semantics:
 * - q is a neighbour of p when (px-qx)² + (py-qy)² <= eps² (what sklearn's trees compare);
 * - p is core when it has at least minSamples neighbours, itself included;
 * - clusters are numbered from 0 in the order of their first core point in the input;
 * - a border point takes the lowest-numbered cluster with a core point within eps, which is the
 *   cluster sklearn's depth-first expansion reaches it from first;
 * - everything else is noise, -1.
 *
 * Cells have side just under eps/√2, so any two points in one cell are neighbours: a cell holding
 * minSamples points is all core without a distance check, and its core points are all one
 * cluster. Neighbours can only sit in the 5×5 block of cells around a point. Clusters are
 * joined cell by cell with union-find. Work is linear in N for the dense parts of a day, which
 * is nearly all of it.
 */
export function gridDbscan(
  x: Float64Array,
  y: Float64Array,
  eps: number,
  minSamples: number,
): DbscanResult {
  const n = x.length;
  const labels = new Int32Array(n).fill(-1);
  const core = new Uint8Array(n);
  if (n === 0) return { labels, core };
  const eps2 = eps * eps;
  // The margin keeps "same cell ⇒ within eps" true after rounding.
  const side = (eps / Math.SQRT2) * (1 - 1e-9);

  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const xi = x[i] as number;
    const yi = y[i] as number;
    if (xi < minX) minX = xi;
    if (xi > maxX) maxX = xi;
    if (yi < minY) minY = yi;
    if (yi > maxY) maxY = yi;
  }
  // Cell coordinates start at 2 so the 5×5 block around any cell has no negative coordinate.
  const rows = Math.floor((maxY - minY) / side) + 5;
  const columns = Math.floor((maxX - minX) / side) + 5;
  const cellIds = cellIndex(rows, columns, n);
  const cellOf = new Int32Array(n);
  const cellX = new Int32Array(n);
  const cellY = new Int32Array(n);
  let cells = 0;
  for (let i = 0; i < n; i += 1) {
    const cx = Math.floor(((x[i] as number) - minX) / side) + 2;
    const cy = Math.floor(((y[i] as number) - minY) / side) + 2;
    let id = cellIds.get(cx, cy);
    if (id === -1) {
      id = cells++;
      cellIds.set(cx, cy, id);
      cellX[id] = cx;
      cellY[id] = cy;
    }
    cellOf[i] = id;
  }

  // Points sorted by cell (input order within a cell) into "slots", with their coordinates copied
  // alongside, so the distance loops read memory in order.
  const start = new Int32Array(cells + 1);
  for (let i = 0; i < n; i += 1) {
    const next = (cellOf[i] as number) + 1;
    start[next] = (start[next] as number) + 1;
  }
  for (let c = 0; c < cells; c += 1) start[c + 1] = (start[c + 1] as number) + (start[c] as number);
  const pointAt = new Int32Array(n);
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  const fill = start.slice(0, cells);
  for (let i = 0; i < n; i += 1) {
    const c = cellOf[i] as number;
    const slot = fill[c] as number;
    fill[c] = slot + 1;
    pointAt[slot] = i;
    sx[slot] = x[i] as number;
    sy[slot] = y[i] as number;
  }

  // The occupied cells of each cell's 5×5 block, itself excluded: the 8 adjacent ones first
  // (up to nearSplit), then the 16 farther ones.
  const nearStart = new Int32Array(cells + 1);
  const nearSplit = new Int32Array(cells);
  let near = new Int32Array(Math.max(16, cells * 4));
  let nearCount = 0;
  for (let c = 0; c < cells; c += 1) {
    const cx = cellX[c] as number;
    const cy = cellY[c] as number;
    if (nearCount + 24 > near.length) {
      const grown = new Int32Array(near.length * 2);
      grown.set(near);
      near = grown;
    }
    for (let k = 0; k < OFFSETS.length; k += 2) {
      if (k === ADJACENT_OFFSETS * 2) nearSplit[c] = nearCount;
      const other = cellIds.get(cx + (OFFSETS[k] as number), cy + (OFFSETS[k + 1] as number));
      if (other !== -1) near[nearCount++] = other;
    }
    nearStart[c + 1] = nearCount;
  }

  // Core points, by slot.
  const coreSlot = new Uint8Array(n);
  for (let c = 0; c < cells; c += 1) {
    const from = start[c] as number;
    const to = start[c + 1] as number;
    const size = to - from;
    if (size >= minSamples) {
      coreSlot.fill(1, from, to);
      continue;
    }
    const nearFrom = nearStart[c] as number;
    const nearTo = nearStart[c + 1] as number;
    let reachable = size;
    for (let j = nearFrom; j < nearTo; j += 1) {
      const o = near[j] as number;
      reachable += (start[o + 1] as number) - (start[o] as number);
    }
    if (reachable < minSamples) continue;
    for (let k = from; k < to; k += 1) {
      const px = sx[k] as number;
      const py = sy[k] as number;
      let count = size;
      for (let j = nearFrom; j < nearTo && count < minSamples; j += 1) {
        const o = near[j] as number;
        const end = start[o + 1] as number;
        for (let m = start[o] as number; m < end; m += 1) {
          const dx = px - (sx[m] as number);
          const dy = py - (sy[m] as number);
          if (dx * dx + dy * dy <= eps2 && ++count >= minSamples) break;
        }
      }
      if (count >= minSamples) coreSlot[k] = 1;
    }
  }

  // Each cell's core slots, and their bounding box: most cell pairs are ruled out by it alone.
  const coreStart = new Int32Array(cells + 1);
  const cores = new Int32Array(n);
  const box = new Float64Array(cells * 4);
  let coreCount = 0;
  for (let c = 0; c < cells; c += 1) {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let k = start[c] as number; k < (start[c + 1] as number); k += 1) {
      if (!coreSlot[k]) continue;
      cores[coreCount++] = k;
      const px = sx[k] as number;
      const py = sy[k] as number;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
    }
    coreStart[c + 1] = coreCount;
    box[c * 4] = x0;
    box[c * 4 + 1] = y0;
    box[c * 4 + 2] = x1;
    box[c * 4 + 3] = y1;
  }
  const hasCores = (c: number) => coreStart[c] !== coreStart[c + 1];

  const coresWithinEps = (a: number, b: number): boolean => {
    const gapX = Math.max(
      0,
      (box[a * 4] as number) - (box[b * 4 + 2] as number),
      (box[b * 4] as number) - (box[a * 4 + 2] as number),
    );
    const gapY = Math.max(
      0,
      (box[a * 4 + 1] as number) - (box[b * 4 + 3] as number),
      (box[b * 4 + 1] as number) - (box[a * 4 + 3] as number),
    );
    if (gapX * gapX + gapY * gapY > eps2) return false;
    const aEnd = coreStart[a + 1] as number;
    const bEnd = coreStart[b + 1] as number;
    for (let i = coreStart[a] as number; i < aEnd; i += 1) {
      const px = sx[cores[i] as number] as number;
      const py = sy[cores[i] as number] as number;
      for (let j = coreStart[b] as number; j < bEnd; j += 1) {
        const dx = px - (sx[cores[j] as number] as number);
        const dy = py - (sy[cores[j] as number] as number);
        if (dx * dx + dy * dy <= eps2) return true;
      }
    }
    return false;
  };

  // Union-find over cells with core points: a cell's core points are one component.
  const parent = new Int32Array(cells);
  for (let c = 0; c < cells; c += 1) parent[c] = c;
  const find = (c: number): number => {
    let root = c;
    while (parent[root] !== root) root = parent[root] as number;
    while (parent[c] !== root) {
      const next = parent[c] as number;
      parent[c] = root;
      c = next;
    }
    return root;
  };
  // Adjacent cells first: in a dense region they join everything, so the farther pairs of the
  // second pass are then mostly known to be connected and need no distance check.
  for (const far of [false, true]) {
    for (let c = 0; c < cells; c += 1) {
      if (!hasCores(c)) continue;
      const from = far ? (nearSplit[c] as number) : (nearStart[c] as number);
      const to = far ? (nearStart[c + 1] as number) : (nearSplit[c] as number);
      for (let j = from; j < to; j += 1) {
        const o = near[j] as number;
        if (o < c || !hasCores(o)) continue;
        const rc = find(c);
        const ro = find(o);
        if (rc !== ro && coresWithinEps(c, o)) parent[Math.max(rc, ro)] = Math.min(rc, ro);
      }
    }
  }

  // Cluster ids in order of each cluster's first core point in the input.
  const clusterOfRoot = new Int32Array(cells).fill(-1);
  const cellLabel = new Int32Array(cells).fill(-1);
  let clusters = 0;
  for (let c = 0; c < cells; c += 1) {
    for (let k = start[c] as number; k < (start[c + 1] as number); k += 1) {
      if (coreSlot[k]) core[pointAt[k] as number] = 1;
    }
  }
  for (let i = 0; i < n; i += 1) {
    if (!core[i]) continue;
    const c = cellOf[i] as number;
    const root = find(c);
    if (clusterOfRoot[root] === -1) clusterOfRoot[root] = clusters++;
    labels[i] = clusterOfRoot[root] as number;
    cellLabel[c] = labels[i] as number;
  }

  // Border points: the lowest cluster id among core points within eps.
  for (let c = 0; c < cells; c += 1) {
    const own = cellLabel[c] as number;
    for (let k = start[c] as number; k < (start[c + 1] as number); k += 1) {
      if (coreSlot[k]) continue;
      let best = own === -1 ? clusters : own;
      const px = sx[k] as number;
      const py = sy[k] as number;
      for (let j = nearStart[c] as number; j < (nearStart[c + 1] as number); j += 1) {
        const o = near[j] as number;
        const label = cellLabel[o] as number;
        if (label === -1 || label >= best) continue;
        const end = coreStart[o + 1] as number;
        for (let m = coreStart[o] as number; m < end; m += 1) {
          const dx = px - (sx[cores[m] as number] as number);
          const dy = py - (sy[cores[m] as number] as number);
          if (dx * dx + dy * dy <= eps2) {
            best = label;
            break;
          }
        }
      }
      if (best < clusters) labels[pointAt[k] as number] = best;
    }
  }
  return { labels, core };
}
