"""Run aad-ingest, DuckDB and pyarrow on the same corpus and print MB/s, peak RSS and ratios.

Each tool runs as its own process; its peak RSS comes from wait4() on that process. The corpus
is envelope NDJSON from `aad-ingest generate` without quirks, so that the schema-inferring peers
can read it at all (with quirks on, pyarrow stops at the first field that changes type).

This machine is shared and noisy (the same run varies by a third from minute to minute), so the
tools run in turn for several rounds and each is scored by its best round. Outputs go to a RAM
filesystem (/dev/shm) when there is one, for every tool alike: on this VM's journal-less ext4,
creating a file costs a scan past every inode deleted in the last minutes (`recently_deleted`),
which made file creation a quarter of aad-ingest's CPU profile right after a previous run's lake
was removed, and varied with how many runs came before.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
PY = sys.executable
BYTES_PER_RECORD = 5340  # measured average of MIX below
# The default mix without Graph activity: its `properties.location` is a string where sign-ins
# carry an object, and pyarrow's read_json refuses a field that changes type.
MIX = ("NonInteractiveUserSignInLogs=50,SignInLogs=9,ServicePrincipalSignInLogs=12,ManagedIdentitySignInLogs=8,"
       "AuditLogs=9,ProvisioningLogs=1.5,ADFSSignInLogs=0.5,RiskyUsers=0.5,UserRiskEvents=0.8,"
       "RiskyServicePrincipals=0.3,ServicePrincipalRiskEvents=0.4")

DUCKDB = r"""
import duckdb, sys
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"COPY (SELECT unnest(records) AS record FROM read_json('{src}', format='newline_delimited', maximum_object_size=16777216)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
print(con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0])
"""

PYARROW = r"""
import sys
import pyarrow as pa, pyarrow.json as pj, pyarrow.parquet as pq, pyarrow.compute as pc
src, out = sys.argv[1], sys.argv[2]

def strip(arr):
    # Parquet cannot store a struct with no fields, and Entra sends `mfaDetail: {}`: drop those.
    t = arr.type
    if pa.types.is_struct(t):
        keep = [i for i in range(t.num_fields) if not (pa.types.is_struct(t.field(i).type) and t.field(i).type.num_fields == 0)]
        return pa.StructArray.from_arrays([strip(arr.field(i)) for i in keep], names=[t.field(i).name for i in keep], mask=arr.is_null())
    if pa.types.is_list(t):
        return pa.ListArray.from_arrays(arr.offsets, strip(arr.values), mask=arr.is_null())
    return arr

t = pj.read_json(src, read_options=pj.ReadOptions(block_size=8 << 20))
records = pc.list_flatten(t.column("records"))
flat = pa.Table.from_batches([pa.RecordBatch.from_struct_array(strip(chunk)) for chunk in records.chunks])
pq.write_table(flat, out, compression="zstd")
print(pq.ParquetFile(out).metadata.num_rows)
"""


def run(cmd):
    """Run cmd; return (seconds, peak RSS MiB, stdout)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{cmd[0]} failed:\n{err[-2000:]}")
    return secs, usage.ru_maxrss / 1024, out


def generate(path, mb, hours):
    """Generate the corpus unless `path` holds one this generator made with these arguments.

    A kept corpus is recognised by a fingerprint in `<path>.sig`: its record count and the
    SHA-256 of 500 records the generator writes now with the same arguments, so that a change to
    the generator makes a new corpus instead of benchmarking an old one."""
    records = int(mb * 1e6 / BYTES_PER_RECORD)
    args = ["generate", "--seed", "250", "--quirks", "0", "--mix", MIX, "--hours", str(hours), "--format", "envelope"]
    sample = subprocess.run([os.path.join(BIN, "aad-ingest"), *args, "--records", "500", "--out", "-"],
                            check=True, capture_output=True).stdout
    sig = f"{records} {hashlib.sha256(sample).hexdigest()}\n"
    if os.path.exists(path) and os.path.exists(path + ".sig") and open(path + ".sig").read() == sig:
        return
    subprocess.run([os.path.join(BIN, "aad-ingest"), *args, "--records", str(records), "--out", path], check=True)
    with open(path + ".sig", "w") as f:
        f.write(sig)


def aad_rows(stdout):
    for line in stdout.splitlines():
        if " records -> " in line:
            return int(line.split(" records -> ")[1].split()[0])
    raise ValueError(stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=250, help="corpus size for the side-by-side run")
    ap.add_argument("--rss-mb", type=float, default=0, help="also run aad-ingest alone on a corpus this large (RSS growth)")
    ap.add_argument("--hours", type=int, default=24,
                    help="hours the corpus spans: fewer hours, fuller hourly partitions, larger files")
    ap.add_argument("--dir", default=os.path.join(ROOT, "bench-data"), help="where the corpus is kept")
    ap.add_argument("--out-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where the tools write (default: /dev/shm if present, else --dir)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of the three tools, and of the ceiling's two measures; each scored by its best")
    ap.add_argument("--keep", action="store_true", help="keep outputs")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    suffix = "" if a.hours == 24 else f"-{a.hours}h"
    corpus = os.path.join(a.dir, f"corpus-{int(a.mb)}mb{suffix}.ndjson")
    generate(corpus, a.mb, a.hours)
    size = os.path.getsize(corpus)
    mb = size / 1e6
    print(f"corpus: {corpus} ({mb:.1f} MB), {os.cpu_count()} cores")

    # The ceiling's two measures are best-of-rounds too: with two rounds, its share moved between
    # 40 and 46 % from one minute to the next on this VM.
    secs, rss, out = run([os.path.join(BIN, "ceiling"), corpus, str(max(2, a.rounds))])
    print(out.rstrip())

    out_dir = a.out_dir or a.dir
    work = os.path.join(out_dir, f"aad-compare-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    lake = os.path.join(work, "aad-lake")
    tools = {
        "aad-ingest": ([os.path.join(BIN, "aad-ingest"), "convert", corpus, "--out", lake], aad_rows),
        "duckdb": ([PY, "-c", DUCKDB, corpus, os.path.join(work, "duckdb.parquet")], lambda o: int(o.split()[-1])),
        "pyarrow": ([PY, "-c", PYARROW, corpus, os.path.join(work, "pyarrow.parquet")], lambda o: int(o.split()[-1])),
    }
    print(f"outputs in {work}, {a.rounds} rounds, best round per tool")
    results = {}
    try:
        for _ in range(a.rounds):
            for name, (cmd, rows_of) in tools.items():
                shutil.rmtree(lake, ignore_errors=True)
                secs, rss, out = run(cmd)
                n = rows_of(out)
                # Best time, highest peak RSS, and the same row count in every round.
                best_secs, top_rss, rows = results.get(name, (secs, rss, n))
                if n != rows:
                    sys.exit(f"{name} wrote {n} rows in one round and {rows} in another")
                results[name] = (min(secs, best_secs), max(rss, top_rss), n)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    rows = {r[2] for r in results.values()}
    print(f"\n{'tool':<12} {'seconds':>8} {'MB/s':>8} {'peak RSS MiB':>13} {'rows':>10}")
    for name, (secs, rss, n) in results.items():
        print(f"{name:<12} {secs:8.2f} {mb / secs:8.1f} {rss:13.0f} {n:10d}")
    if len(rows) != 1:
        sys.exit(f"row counts differ: {rows}")
    ours = mb / results["aad-ingest"][0]
    for peer in ("pyarrow", "duckdb"):
        print(f"aad-ingest / {peer}: {ours / (mb / results[peer][0]):.2f}x MB/s, {results[peer][1] / results['aad-ingest'][1]:.1f}x less peak RSS")

    if a.rss_mb:
        big = os.path.join(a.dir, f"corpus-{int(a.rss_mb)}mb{suffix}.ndjson")
        generate(big, a.rss_mb, a.hours)
        os.makedirs(work, exist_ok=True)
        try:
            secs, rss, out = run([os.path.join(BIN, "aad-ingest"), "convert", big, "--out", lake])
        finally:
            if not a.keep:
                shutil.rmtree(work, ignore_errors=True)
        print(f"aad-ingest on {os.path.getsize(big) / 1e6:.0f} MB: {os.path.getsize(big) / 1e6 / secs:.1f} MB/s, "
              f"peak RSS {rss:.0f} MiB (vs {results['aad-ingest'][1]:.0f} MiB on {mb:.0f} MB)")


if __name__ == "__main__":
    main()
