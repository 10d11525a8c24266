"""Read an aad-ingest lake with readers that are not ours, for the Rust tests.

  read_lake.py query <sql>      DuckDB; prints the rows as a JSON list of objects, values as text
  read_lake.py schema <file>    pyarrow; prints [{name, type, logical}] of a Parquet file
  read_lake.py table <dir>      pyarrow.dataset; prints {"rows": n, "files": k} of a hive dir
  read_lake.py delta-export <lake> <dir>   the `deltalake` package reads every Delta table of the
      lake (what its log commits, nothing else) and writes it to <dir>/table=<T>/ as Parquet;
      prints {table: {rows, polars_rows, version, commits, operations, files_per_hour, txns, checkpoints, last_checkpoint, configuration, partition_columns,
      schema}}
  read_lake.py azure-create <blob endpoint> <container>
  read_lake.py azure-download <blob endpoint> <container> <dest dir>   prints the blob names
  read_lake.py azure-metadata <blob endpoint> <container>   prints {name: {size, metadata}} of
      every blob, as the Azure SDK for Python (whose checkpoint store other processors share) sees it
  read_lake.py azure-append <blob endpoint> <container> <src dir>   every file below <src dir> as
      an append blob of the same name (created if missing), appending only the bytes past the
      blob's current length, as Entra's archive appends to PT1H.json; prints {name: size}
"""
import json
import sys


def text(v):
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def main():
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "query":
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        cur = con.execute(arg)
        names = [d[0] for d in cur.description]
        rows = [{n: text(v) for n, v in zip(names, row)} for row in cur.fetchall()]
        print(json.dumps(rows))
    elif mode == "schema":
        import pyarrow.parquet as pq

        f = pq.ParquetFile(arg)
        arrow = f.schema_arrow
        out = []
        for i, col in enumerate(f.schema):
            logical = col.logical_type.type if col.logical_type is not None else "NONE"
            out.append({"name": col.name, "type": str(arrow.field(i).type), "logical": str(logical)})
        print(json.dumps(out))
    elif mode == "table":
        import pyarrow.dataset as ds

        d = ds.dataset(arg, format="parquet", partitioning="hive")
        print(json.dumps({"rows": d.count_rows(), "files": len(d.files)}))
    elif mode == "delta-export":
        import os

        import polars as pl
        import pyarrow as pa
        import pyarrow.parquet as pq
        from deltalake import DeltaTable

        out = {}
        for name in sorted(os.listdir(arg)):
            path = os.path.join(arg, name)
            if name.startswith("_") or not os.path.isdir(os.path.join(path, "_delta_log")):
                continue
            dt = DeltaTable(path)
            table = dt.to_pyarrow_table()
            dest = os.path.join(sys.argv[3], f"table={name}")
            os.makedirs(dest, exist_ok=True)
            pq.write_table(table, os.path.join(dest, "all.parquet"))
            history = dt.history()
            # The `txn` actions of each commit, from the log itself (history() leaves them out).
            commits = []
            log = os.path.join(path, "_delta_log")
            for entry in sorted(os.listdir(log)):
                if not entry.endswith(".json"):
                    continue
                txns = []
                with open(os.path.join(log, entry)) as f:
                    for line in f:
                        action = json.loads(line)
                        if "txn" in action:
                            txns.append([action["txn"]["appId"], action["txn"]["version"]])
                commits.append({"version": int(entry.split(".")[0]), "txns": txns})
            adds = pa.table(dt.get_add_actions(flatten=True)).to_pydict()
            per_hour = {}
            for d, h in zip(adds["partition.date"], adds["partition.hour"]):
                key = f"{d}/{h}"
                per_hour[key] = per_hour.get(key, 0) + 1
            out[name] = {
                "rows": table.num_rows,
                "polars_rows": pl.read_delta(path).height,
                "version": dt.version(),
                "commits": len(history),
                "operations": [h.get("operation") for h in reversed(history)],
                "files_per_hour": per_hour,
                "txns": commits,
                "configuration": dict(dt.metadata().configuration),
                "partition_columns": list(dt.metadata().partition_columns),
                "checkpoints": sum(e.endswith(".checkpoint.parquet") for e in os.listdir(log)),
                "last_checkpoint": os.path.exists(os.path.join(log, "_last_checkpoint")),
                "schema": [[f.name, getattr(f.type, "type", str(f.type))] for f in dt.schema().fields],
            }
        print(json.dumps(out))
    elif mode in ("azure-create", "azure-download", "azure-metadata", "azure-append"):
        from azure.storage.blob import BlobServiceClient

        # Azurite's well-known development account (public, documented by Microsoft).
        conn = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            f"BlobEndpoint={arg};"
        )
        service = BlobServiceClient.from_connection_string(conn)
        container = service.get_container_client(sys.argv[3])
        if mode == "azure-create":
            container.create_container()
            print(json.dumps({"created": sys.argv[3]}))
        elif mode == "azure-append":
            import os

            sizes = {}
            root = sys.argv[4]
            for d, _, files in os.walk(root):
                for f in files:
                    path = os.path.join(d, f)
                    name = os.path.relpath(path, root).replace(os.sep, "/")
                    blob = container.get_blob_client(name)
                    if not blob.exists():
                        blob.create_append_blob()
                    have = blob.get_blob_properties().size
                    with open(path, "rb") as fh:
                        data = fh.read()
                    if len(data) > have:
                        blob.append_block(data[have:])
                    sizes[name] = len(data)
            print(json.dumps(sizes))
        elif mode == "azure-metadata":
            blobs = {
                b.name: {"size": b.size, "metadata": dict(b.metadata or {})}
                for b in container.list_blobs(include=["metadata"])
            }
            print(json.dumps(blobs))
        else:
            import os

            names = []
            for blob in container.list_blobs():
                dest = os.path.join(sys.argv[4], blob.name)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(container.download_blob(blob.name).readall())
                names.append(blob.name)
            print(json.dumps(sorted(names)))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
