// density-clustering ships no type declarations; this covers its DBSCAN.
declare module 'density-clustering' {
  type Distance = (a: number[], b: number[]) => number;
  class DBSCAN {
    clusters: number[][];
    noise: number[];
    run(dataset: number[][], epsilon: number, minPts: number, distance?: Distance): number[][];
  }
  const clustering: { DBSCAN: typeof DBSCAN };
  export default clustering;
}
