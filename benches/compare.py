"""Run aad-ingest, DuckDB and pyarrow on the same corpus and print MB/s, CPU seconds, peak RSS
and ratios.

Each tool runs as its own process; its peak RSS and CPU seconds (user + system) come from
wait4() on that process. On two shared cores the CPU seconds are the steadier figure.

The corpus is envelope NDJSON of one of four shapes (`--shape`, or `all`), each pinned here:
`default`, `small` and `audit` are `aad-ingest generate` without quirks (with quirks on, pyarrow
stops at the first field that changes type) and with the flags in SHAPES; `real` is the records
of ../shared/samples/entra repeated with fresh ids and times (see `real_corpus`).

This machine is shared and noisy (the same run varies by a third from minute to minute), so the
tools run in turn for several rounds and each is scored by its best round. Outputs go to a RAM
filesystem (/dev/shm) when there is one, for every tool alike: on this VM's journal-less ext4,
creating a file costs a scan past every inode deleted in the last minutes (`recently_deleted`),
which made file creation a quarter of aad-ingest's CPU profile right after a previous run's lake
was removed, and varied with how many runs came before.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
PY = sys.executable
# The default mix without Graph activity: its `properties.location` is a string where sign-ins
# carry an object, and pyarrow's read_json refuses a field that changes type.
MIX = ("NonInteractiveUserSignInLogs=50,SignInLogs=9,ServicePrincipalSignInLogs=12,ManagedIdentitySignInLogs=8,"
       "AuditLogs=9,ProvisioningLogs=1.5,ADFSSignInLogs=0.5,RiskyUsers=0.5,UserRiskEvents=0.8,"
       "RiskyServicePrincipals=0.3,ServicePrincipalRiskEvents=0.4")

# Generator flags of each shape. `small`: few conditional-access policies, so sign-ins of 3-4 KB
# (every user sign-in lists every policy); `audit`: audits and Graph activity, records of ~1.5 KB.
SHAPES = {
    "default": ["--mix", MIX],
    "small": ["--mix", MIX, "--policies", "3"],
    "audit": ["--mix", "AuditLogs=55,MicrosoftGraphActivityLogs=45"],
    "real": None,
}
SAMPLES = os.path.join(os.path.dirname(ROOT), "shared", "samples", "entra")

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
    """Run cmd; return (seconds, peak RSS MiB, stdout, CPU seconds)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{cmd[0]} failed:\n{err[-2000:]}")
    return secs, usage.ru_maxrss / 1024, out, usage.ru_utime + usage.ru_stime


GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def sample_records():
    """Every record of the sample files: NDJSON, a JSON document, or `{"records": [...]}`."""
    records = []
    for name in sorted(os.listdir(SAMPLES)):
        text = open(os.path.join(SAMPLES, name), encoding="utf-8").read()
        try:
            docs = [json.loads(text)]
        except json.JSONDecodeError:
            docs = []
            for line in text.splitlines():
                try:
                    docs.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        for d in docs:
            if isinstance(d, dict) and isinstance(d.get("records"), list):
                records.extend(r for r in d["records"] if isinstance(r, dict))
            elif isinstance(d, dict):
                records.append(d)
    return records


def respell(value, path, spelling):
    """The record with each key spelled as the first record that had it at that path spelled it
    (ignoring case): Entra's categories disagree (`Level`, `level`), and DuckDB takes two
    spellings in one struct for a duplicate name and stops."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            at = f"{path}.{k.lower()}"
            name = spelling.setdefault(at, k)
            if name not in out:
                out[name] = respell(v, at, spelling)
        return out
    if isinstance(value, list):
        return [respell(v, path + "[]", spelling) for v in value]
    return value


def field_types(value, path, out):
    """(path, JSON type) of every non-null value in a record."""
    if value is None:
        return
    if isinstance(value, dict):
        out.add((path, "object"))
        for k, v in value.items():
            field_types(v, f"{path}.{k}", out)
    elif isinstance(value, list):
        out.add((path, "list"))
        for v in value:
            field_types(v, path + "[]", out)
    elif isinstance(value, bool):
        out.add((path, "bool"))
    elif isinstance(value, (int, float)):
        # pyarrow widens integers to doubles (and timestamps to strings) by itself.
        out.add((path, "number"))
    else:
        out.add((path, "string"))


def real_corpus(path, mb, hours):
    """The sample records, repeated until `mb`, in envelopes of 50, each copy with fresh GUIDs
    (the same original GUID gets the same fresh one within a copy) and a fresh `time`, rising
    through the corpus over `hours`. For the peers' sake keys are spelled alike (`respell`), and since pyarrow
    refuses a field whose type changes from one record to the next, a record whose fields
    disagree in type with an earlier one's is left out; the script says how many."""
    spelling = {}
    records = [respell(r, "", spelling) for r in sample_records()]
    typed = []
    for r in records:
        types = set()
        field_types(r, "", types)
        typed.append(types)
    # Each path keeps the type most records give it; a record giving another is left out.
    votes = {}
    for types in typed:
        for p, t in types:
            votes.setdefault(p, {}).setdefault(t, 0)
            votes[p][t] += 1
    majority = {p: max(v, key=v.get) for p, v in votes.items()}
    kept = [json.dumps(r, separators=(",", ":")) for r, types in zip(records, typed)
            if all(majority[p] == t for p, t in types)]
    print(f"real: {len(kept)} of {len(records)} sample records (the rest change a field's type); "
          "keys spelled alike")
    target = int(mb * 1e6)
    written, copy = 0, 0
    with open(path, "w") as out:
        batch = []
        while written < target:
            for text in kept:
                fresh = {}

                def new_guid(m):
                    g = m.group(0).lower()
                    if g not in fresh:
                        h = hashlib.md5(f"{g}/{copy}".encode()).hexdigest()
                        fresh[g] = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
                    return fresh[g]

                record = json.loads(GUID.sub(new_guid, text))
                # Times move forward through the corpus, as a hub delivers them.
                second = int(written / target * hours * 3600)
                record["time"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1795000000 + second)) + ".0000000Z"
                batch.append(json.dumps(record, separators=(",", ":")))
                copy += 1
                if len(batch) == 50:
                    line = '{"records":[' + ",".join(batch) + "]}\n"
                    out.write(line)
                    written += len(line)
                    batch = []
        if batch:
            out.write('{"records":[' + ",".join(batch) + "]}\n")


def generate(path, mb, hours, shape):
    """Make the corpus unless `path` holds one made by this script with these arguments.

    A kept corpus is recognised by a fingerprint in `<path>.sig`: its size and the SHA-256 of 500
    records the generator writes now with the same arguments (for `real`, of this script and the
    samples), so that a change to the generator makes a new corpus instead of benchmarking an
    old one."""
    if shape == "real":
        h = hashlib.sha256(open(__file__, "rb").read())
        for name in sorted(os.listdir(SAMPLES)):
            h.update(open(os.path.join(SAMPLES, name), "rb").read())
        sig = f"{mb} {hours} {h.hexdigest()}\n"
        if not (os.path.exists(path) and os.path.exists(path + ".sig") and open(path + ".sig").read() == sig):
            real_corpus(path, mb, hours)
            with open(path + ".sig", "w") as f:
                f.write(sig)
        return
    args = ["generate", "--seed", "250", "--quirks", "0", *SHAPES[shape], "--hours", str(hours), "--format", "envelope"]
    sample = subprocess.run([os.path.join(BIN, "aad-ingest"), *args, "--records", "500", "--out", "-"],
                            check=True, capture_output=True).stdout
    records = int(mb * 1e6 / (len(sample) / 500))
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


def compare(a, shape):
    """One shape, side by side: returns {tool: (seconds, peak RSS MiB, rows, CPU seconds)}."""
    suffix = ("" if a.hours == 24 else f"-{a.hours}h") + ("" if shape == "default" else f"-{shape}")
    corpus = os.path.join(a.dir, f"corpus-{int(a.mb)}mb{suffix}.ndjson")
    generate(corpus, a.mb, a.hours, shape)
    size = os.path.getsize(corpus)
    mb = size / 1e6
    print(f"\n== shape {shape}: {corpus} ({mb:.1f} MB), {os.cpu_count()} cores")

    # The ceiling's two measures are best-of-rounds too: with two rounds, its share moved between
    # 40 and 46 % from one minute to the next on this VM.
    _, _, out, _ = run([os.path.join(BIN, "ceiling"), corpus, str(max(2, a.rounds))])
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
                secs, rss, out, cpu = run(cmd)
                n = rows_of(out)
                # Best time and CPU, highest peak RSS, and the same row count in every round.
                best_secs, top_rss, rows, best_cpu = results.get(name, (secs, rss, n, cpu))
                if n != rows:
                    sys.exit(f"{name} wrote {n} rows in one round and {rows} in another")
                results[name] = (min(secs, best_secs), max(rss, top_rss), n, min(cpu, best_cpu))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    rows = {r[2] for r in results.values()}
    print(f"\n{'tool':<12} {'seconds':>8} {'MB/s':>8} {'CPU s':>7} {'MB/CPU-s':>9} {'peak RSS MiB':>13} {'rows':>10}")
    for name, (secs, rss, n, cpu) in results.items():
        print(f"{name:<12} {secs:8.2f} {mb / secs:8.1f} {cpu:7.2f} {mb / cpu:9.1f} {rss:13.0f} {n:10d}")
    if len(rows) != 1:
        sys.exit(f"row counts differ: {rows}")
    ours = results["aad-ingest"]
    for peer in ("pyarrow", "duckdb"):
        theirs = results[peer]
        print(f"aad-ingest / {peer}: {theirs[0] / ours[0]:.2f}x MB/s, {theirs[3] / ours[3]:.2f}x less CPU, "
              f"{theirs[1] / ours[1]:.1f}x less peak RSS")

    if a.rss_mb:
        big = os.path.join(a.dir, f"corpus-{int(a.rss_mb)}mb{suffix}.ndjson")
        generate(big, a.rss_mb, a.hours, shape)
        os.makedirs(work, exist_ok=True)
        try:
            secs, rss, out, cpu = run([os.path.join(BIN, "aad-ingest"), "convert", big, "--out", lake])
        finally:
            if not a.keep:
                shutil.rmtree(work, ignore_errors=True)
        print(f"aad-ingest on {os.path.getsize(big) / 1e6:.0f} MB: {os.path.getsize(big) / 1e6 / secs:.1f} MB/s, "
              f"{cpu:.2f} CPU s, peak RSS {rss:.0f} MiB (vs {ours[1]:.0f} MiB on {mb:.0f} MB)")
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=[*SHAPES, "all"], default="default",
                    help="corpus shape (see SHAPES), or every one in turn with a summary")
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
    shapes = list(SHAPES) if a.shape == "all" else [a.shape]
    summary = {shape: compare(a, shape) for shape in shapes}
    if len(summary) > 1:
        print(f"\n{'shape':<8} {'/pyarrow MB/s':>14} {'CPU':>6} {'/duckdb MB/s':>13} {'CPU':>6}")
        for shape, r in summary.items():
            ours = r["aad-ingest"]
            py, dd = r["pyarrow"], r["duckdb"]
            print(f"{shape:<8} {py[0] / ours[0]:13.2f}x {py[3] / ours[3]:5.2f}x {dd[0] / ours[0]:12.2f}x {dd[3] / ours[3]:5.2f}x")


if __name__ == "__main__":
    main()
