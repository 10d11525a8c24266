"""Write Event Hubs Capture files with fastavro (an Avro writer that is not ours), laid out as
Azure's Capture lays them out, for the Rust tests.

  write_capture.py <ndjson> <dir> <namespace> <hub> <partitions> <first sequence>

Each non-empty line of <ndjson> is one event body; events go round robin to the partitions,
each partition numbering from <first sequence> with offsets growing by the body size, one event
a second from 2026-11-01T10:00:00Z, cut into 60-second windows named
{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}.avro.
Even partitions' files use the deflate codec and odd ones null. The schema is the one
third parties saw in real files, with "null" in the Properties map's union (a reader must take
each file's own schema). Every partition also gets a header-only file for the window after its
last, as Capture writes for windows without events.

Prints {"events": [[partition, sequence, enqueued ISO], ...]} in line order.
"""
import datetime
import json
import os
import sys

import fastavro

SCHEMA = {
    "type": "record",
    "name": "EventData",
    "namespace": "Microsoft.ServiceBus.Messaging",
    "fields": [
        {"name": "SequenceNumber", "type": "long"},
        {"name": "Offset", "type": "string"},
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {"name": "SystemProperties", "type": {"type": "map", "values": ["long", "double", "string", "bytes"]}},
        {"name": "Properties", "type": {"type": "map", "values": ["long", "double", "string", "bytes", "null"]}},
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}
WINDOW = 60


def blob(namespace, hub, partition, start):
    t = start
    return os.path.join(
        namespace, hub, str(partition),
        f"{t.year:04}", f"{t.month:02}", f"{t.day:02}", f"{t.hour:02}", f"{t.minute:02}", f"{t.second:02}.avro",
    )


def us_time(t):
    # .NET's invariant DateTime.ToString(), as Capture writes EnqueuedTimeUtc.
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour}:{t.minute:02}:{t.second:02} {'AM' if t.hour < 12 else 'PM'}"


def main():
    src, out, namespace, hub, partitions, first = sys.argv[1:7]
    partitions, first = int(partitions), int(first)
    base = datetime.datetime(2026, 11, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
    with open(src, "rb") as f:
        bodies = [line.rstrip(b"\r\n") for line in f if line.strip()]
    schema = fastavro.parse_schema(SCHEMA)
    files = {}  # (partition, window start) -> records
    state = [[first, 0] for _ in range(partitions)]
    events = []
    for i, body in enumerate(bodies):
        p = i % partitions
        seq, offset = state[p]
        enqueued = base + datetime.timedelta(seconds=i)
        window = base + datetime.timedelta(seconds=(i // WINDOW) * WINDOW)
        files.setdefault((p, window), []).append({
            "SequenceNumber": seq,
            "Offset": str(offset),
            "EnqueuedTimeUtc": us_time(enqueued),
            "SystemProperties": {"x-opt-sequence-number": seq, "x-opt-offset": str(offset),
                                 "x-opt-enqueued-time": int(enqueued.timestamp() * 1000)},
            "Properties": {"source": "test", "nothing": None},
            "Body": body,
        })
        state[p] = [seq + 1, offset + len(body)]
        events.append([str(p), seq, enqueued.isoformat().replace("+00:00", "Z")])
    last_window = max(w for _, w in files)
    for p in range(partitions):
        files.setdefault((p, last_window + datetime.timedelta(seconds=WINDOW)), [])
    for (p, window), records in files.items():
        path = os.path.join(out, blob(namespace, hub, p, window))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            fastavro.writer(f, schema, records, codec="deflate" if p % 2 == 0 else "null")
    print(json.dumps({"events": events}))


if __name__ == "__main__":
    main()
