"""The official Azure SDK for Python's Event Hubs clients against the test hub, for the Rust tests.

  eventhub_client.py send <namespace> <hub> <endpoint> <file>
      EventHubProducerClient: every line of <file> becomes one event, sent in batches that go
      by partition id, by partition key and by the service's choice, in turn; prints
      {"events": n, "batches": k}
  eventhub_client.py consume <namespace> <hub> <endpoint> <blob endpoint> <container> <expect> <settle secs>
      EventHubConsumerClient with the official BlobCheckpointStore, from each partition's
      checkpoint (else its start): receives <expect> events and then nothing for <settle secs>,
      checkpoints the last event of each partition, closes (releasing ownership); prints
      {partition: {"first": seq, "last": seq, "count": n, "sequences": [...]}}

The connection string is the emulator's form (UseDevelopmentEmulator=true: plain AMQP, no TLS) and
the SAS key comes from $AAD_TEST_SAS_KEY; <endpoint> is the hub's host:port.
"""
import json
import os
import sys
import time

from azure.eventhub._pyamqp import _transport

# azure-eventhub's pure-Python transport sets every known TCP option on a new socket, those it
# does not configure to the value it just read back; on Linux loopback that write-back is
# sometimes refused with EINVAL (a client issue, not the hub's). Set only the ones it configures.
_transport.KNOWN_TCP_OPTS.intersection_update(_transport.DEFAULT_SOCKET_SETTINGS)

from azure.eventhub import (  # noqa: E402
    EventData,
    EventHubConsumerClient,
    EventHubProducerClient,
    EventHubSharedKeyCredential,
    TransportType,
)


def connection_string(namespace, hub):
    key = os.environ["AAD_TEST_SAS_KEY"]
    return (
        f"Endpoint=sb://{namespace}/;SharedAccessKeyName=send;SharedAccessKey={key};"
        f"UseDevelopmentEmulator=true;EntityPath={hub}"
    )


def send(namespace, hub, endpoint, path):
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\n") for line in f if line.strip()]
    producer = EventHubProducerClient.from_connection_string(
        connection_string(namespace, hub),
        # A custom endpoint means WebSockets unless AMQP over TCP is asked for.
        custom_endpoint_address=f"sb://{endpoint}",
        transport_type=TransportType.Amqp,
    )
    partitions = producer.get_partition_ids()
    sent = batches = 0
    with producer:
        i = 0
        while i < len(lines):
            turn = batches % 3
            if turn == 0:
                batch = producer.create_batch(partition_id=partitions[batches % len(partitions)])
            elif turn == 1:
                batch = producer.create_batch(partition_key=f"tenant-{batches}")
            else:
                batch = producer.create_batch()
            while i < len(lines) and len(batch) < 7:
                try:
                    batch.add(EventData(lines[i]))
                except ValueError:  # the batch is full
                    break
                i += 1
            producer.send_batch(batch)
            sent += len(batch)
            batches += 1
    print(json.dumps({"events": sent, "batches": batches}))


def consume(namespace, hub, endpoint, blob_endpoint, container, expect, settle_secs):
    from azure.eventhub.extensions.checkpointstoreblob import BlobCheckpointStore

    # Azurite's well-known development account (public, documented by Microsoft).
    storage = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        f"BlobEndpoint={blob_endpoint};"
    )
    store = BlobCheckpointStore.from_connection_string(storage, container)
    # The namespace is given as is (mixed case), so the store's lower-casing is what meets ours.
    client = EventHubConsumerClient(
        fully_qualified_namespace=namespace,
        eventhub_name=hub,
        consumer_group="$Default",
        credential=EventHubSharedKeyCredential("listen", os.environ["AAD_TEST_SAS_KEY"]),
        custom_endpoint_address=f"sb://{endpoint}",
        transport_type=TransportType.Amqp,
        use_tls=False,
        checkpoint_store=store,
        load_balancing_interval=1,
    )
    seen = {}
    last_event = {}
    last_time = [time.monotonic()]

    def on_event(context, event):
        if event is None:
            return
        p = context.partition_id
        seen.setdefault(p, []).append(event.sequence_number)
        last_event[p] = (context, event)
        last_time[0] = time.monotonic()

    import threading

    worker = threading.Thread(
        target=client.receive,
        # From the start of a partition without a checkpoint (the default is the end).
        kwargs={"on_event": on_event, "max_wait_time": 0.5, "starting_position": "-1"},
        daemon=True,
    )
    worker.start()
    # Until the expected number of events came, then `settle_secs` more without one (so that an
    # event delivered twice or past the end shows), or a minute of silence.
    while True:
        time.sleep(0.2)
        received = sum(len(s) for s in seen.values())
        quiet = time.monotonic() - last_time[0]
        if (received >= expect and quiet >= settle_secs) or quiet >= 60:
            break
    for context, event in last_event.values():
        context.update_checkpoint(event)
    client.close()
    worker.join(30)
    out = {
        p: {"first": s[0], "last": s[-1], "count": len(s), "sequences": s}
        for p, s in sorted(seen.items())
    }
    print(json.dumps(out))


def main():
    mode = sys.argv[1]
    if mode == "send":
        send(*sys.argv[2:6])
    elif mode == "consume":
        consume(*sys.argv[2:7], int(sys.argv[7]), float(sys.argv[8]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
