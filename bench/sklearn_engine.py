#!/usr/bin/python3
"""scikit-learn's DBSCAN for bench/cluster.ts (optional: needs /usr/bin/python3 with sklearn).

    /usr/bin/python3 bench/sklearn_engine.py COLUMNS_FILE LABELS_FILE EPS MIN_SAMPLES

COLUMNS_FILE holds N distances then N times as little-endian float64. They are stacked into a
C-ordered (N, 2) array, the layout the seed gives StandardScaler, standardized, and clustered
with DBSCAN(eps, min_samples) on one core (n_jobs=None). Only the DBSCAN fit is timed. Labels go
to LABELS_FILE as little-endian int32; one JSON line on stdout gives the times and peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    columns, labels_file, eps, min_samples = sys.argv[1:5]
    raw = np.fromfile(columns, dtype="<f8")
    n = raw.size // 2
    X = np.column_stack([raw[:n], raw[n:]])
    t0 = time.perf_counter()
    Z = StandardScaler().fit_transform(X)
    t1 = time.perf_counter()
    before = peak_rss()
    model = DBSCAN(eps=float(eps), min_samples=int(min_samples)).fit(Z)
    t2 = time.perf_counter()
    model.labels_.astype("<i4").tofile(labels_file)
    print(json.dumps({
        "sklearn": sklearn.__version__,
        "scale": t1 - t0,
        "fit": t2 - t1,
        "peak_before_fit": before,
        "peak": peak_rss(),
    }))


if __name__ == "__main__":
    main()
