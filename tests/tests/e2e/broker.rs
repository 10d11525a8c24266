//! The test Event Hubs broker against the real azure_messaging_eventhubs 0.16 client: the
//! contract the service tests rely on (properties, producers, start positions, epochs, the
//! processor). A client killed mid-stream is covered by the service's SIGKILL test.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aad_tests::broker::{Broker, StoredEvent};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::Etag;
use azure_core::time::OffsetDateTime;
use azure_messaging_eventhubs::error::ErrorKind;
use azure_messaging_eventhubs::models::{Checkpoint, Ownership, ReceivedEventData, StartPositions};
use azure_messaging_eventhubs::{
    CheckpointStore, ConsumerClient, EventDataBatchOptions, EventHubsError, EventProcessor,
    OpenReceiverOptions, ProcessorStrategy, ProducerClient, SendEventOptions, StartLocation,
    StartPosition,
};
use futures::{Stream, StreamExt};

const NS: &str = "test-ns.servicebus.windows.net";
const HUB: &str = "eh1";
const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct FakeCredential;

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "fake-jwt",
            OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

fn start() -> Broker {
    Broker::start(NS, &[(HUB, 8)])
}

async fn open_consumer(broker: &Broker) -> ConsumerClient {
    ConsumerClient::builder()
        .with_custom_endpoint(broker.endpoint())
        .open(NS, HUB.to_string(), Arc::new(FakeCredential))
        .await
        .expect("open consumer")
}

async fn open_producer(broker: &Broker) -> ProducerClient {
    let cs = format!(
        "Endpoint=sb://{NS}/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath={HUB}"
    );
    ProducerClient::builder()
        .with_custom_endpoint(broker.endpoint())
        .open_with_connection_string(&cs, None)
        .await
        .expect("open producer")
}

fn from(location: StartLocation, inclusive: bool) -> Option<OpenReceiverOptions> {
    Some(OpenReceiverOptions {
        start_position: Some(StartPosition {
            location,
            inclusive,
        }),
        ..Default::default()
    })
}

type EventStream<'a> =
    Pin<Box<dyn Stream<Item = azure_messaging_eventhubs::Result<ReceivedEventData>> + 'a>>;

async fn take(stream: &mut EventStream<'_>, n: usize) -> Vec<ReceivedEventData> {
    let mut out = Vec::new();
    while out.len() < n {
        let next = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("timed out waiting for events");
        out.push(next.expect("stream ended").expect("receive error"));
    }
    out
}

async fn assert_quiet(stream: &mut EventStream<'_>) {
    let next = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(
        next.is_err(),
        "expected no more events, got {:?}",
        next.map(|e| e.map(|r| r.map(|e| e.sequence_number())))
    );
}

/// (sequence number, offset, body) of received events.
fn summary(events: &[ReceivedEventData]) -> Vec<(i64, String, Vec<u8>)> {
    events
        .iter()
        .map(|e| {
            (
                e.sequence_number().expect("sequence number"),
                e.offset().clone().expect("offset"),
                e.event_data().body().expect("body").to_vec(),
            )
        })
        .collect()
}

fn expected(
    seqs: std::ops::Range<i64>,
    body: impl Fn(i64) -> String,
) -> Vec<(i64, String, Vec<u8>)> {
    seqs.map(|s| (s, (s * 1000).to_string(), body(s).into_bytes()))
        .collect()
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_and_partition_properties() {
    let broker = start();
    let consumer = open_consumer(&broker).await;

    let hub = consumer.get_eventhub_properties().await.unwrap();
    assert_eq!(hub.name, HUB);
    assert_eq!(
        hub.partition_ids,
        (0..8).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    assert!(hub.created_on.is_some());

    let empty = consumer.get_partition_properties("3").await.unwrap();
    assert_eq!((empty.id.as_str(), empty.eventhub.as_str()), ("3", HUB));
    assert!(empty.is_empty);
    assert_eq!(
        (
            empty.beginning_sequence_number,
            empty.last_enqueued_sequence_number
        ),
        (0, -1)
    );
    assert_eq!(empty.last_enqueued_offset, "-1");
    assert_eq!(empty.last_enqueued_time_utc, None);

    for i in 0..3 {
        assert_eq!(broker.publish(HUB, "3", format!("e{i}").into_bytes()), i);
    }
    let before = SystemTime::now();
    let p = consumer.get_partition_properties("3").await.unwrap();
    assert!(!p.is_empty);
    assert_eq!(
        (p.beginning_sequence_number, p.last_enqueued_sequence_number),
        (0, 2)
    );
    assert_eq!(p.last_enqueued_offset, "2000");
    let last_ms = broker.events(HUB, "3")[2].enqueued_time_ms;
    let reported = p
        .last_enqueued_time_utc
        .expect("time")
        .duration_since(UNIX_EPOCH)
        .unwrap();
    assert_eq!(reported.as_millis() as i64, last_ms);
    assert!(p.last_enqueued_time_utc.unwrap() <= before);

    assert!(consumer.get_partition_properties("99").await.is_err());

    let tokens = broker.tokens();
    assert!(!tokens.is_empty());
    assert!(
        tokens
            .iter()
            .all(|(_, ty, token)| ty == "jwt" && token == "fake-jwt"),
        "{tokens:?}"
    );
    assert!(tokens.iter().any(
        |(aud, _, _)| aud.starts_with(&format!("amqps://{NS}/{HUB}"))
            && aud.ends_with("/$management")
    ));
    consumer.close().await.unwrap();

    // Unknown hub: management answers 404, which the client reports as an error (no panic).
    let consumer2 = open_consumer(&broker).await;
    let missing = ConsumerClient::builder()
        .with_custom_endpoint(broker.endpoint())
        .open(NS, "nohub".to_string(), Arc::new(FakeCredential))
        .await
        .unwrap();
    let err = format!("{:?}", missing.get_eventhub_properties().await.unwrap_err());
    assert!(err.contains("404"), "{err}");

    // Unknown hub or partition on a consumer link: the attach is answered, then closed with
    // amqp:not-found, which ends the stream with an error.
    for (client, partition) in [(&consumer2, "99"), (&missing, "0")] {
        let receiver = client
            .open_receiver_on_partition(partition.into(), from(StartLocation::Earliest, false))
            .await
            .unwrap();
        {
            let mut stream: EventStream = Box::pin(receiver.stream_events());
            let next = tokio::time::timeout(WAIT, stream.next())
                .await
                .expect("no answer");
            let err = format!("{:?}", next.expect("stream item").unwrap_err());
            assert!(err.contains("NotFound"), "{err}");
        }
        receiver.close().await.unwrap();
    }
    assert!(broker.active_receivers(HUB).is_empty());
    missing.close().await.unwrap();
    consumer2.close().await.unwrap();
}

/// The client's AMQP socket has Nagle off (our fe2o3-amqp patch, `vendor/fe2o3-amqp/PATCHED.md`).
/// With Nagle on, a receiver's second small flow frame waited for the ACK of the first, which
/// the peer delays while it has no credit to send on: each link stalled 40 ms per credit refill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_socket_has_nagle_off() {
    let broker = start();
    let consumer = open_consumer(&broker).await;
    consumer.get_eventhub_properties().await.unwrap();
    let port = broker.listen_address().port();
    // This process holds both ends: the broker's accepted sockets (local port = the broker's)
    // and the client's (peer port = the broker's). Only the client's are asked.
    let mut client_sockets = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if peer_port(fd) == Some(port) {
            client_sockets.push(tcp_nodelay(fd));
        }
    }
    assert!(
        !client_sockets.is_empty(),
        "no client socket to the broker found"
    );
    assert!(
        client_sockets.iter().all(|&on| on),
        "TCP_NODELAY per client socket: {client_sockets:?}"
    );
    consumer.close().await.unwrap();
}

/// The peer's port of an IPv4 TCP socket, `None` for anything else.
fn peer_port(fd: i32) -> Option<u16> {
    // SAFETY: `addr` and `len` are valid for writes and `len` holds `addr`'s size; on an fd that
    // is not a socket, getpeername fails and writes nothing.
    unsafe {
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let got = libc::getpeername(fd, (&raw mut addr).cast(), &mut len);
        (got == 0 && i32::from(addr.sin_family) == libc::AF_INET)
            .then(|| u16::from_be(addr.sin_port))
    }
}

fn tcp_nodelay(fd: i32) -> bool {
    let mut on: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `on` and `len` are valid for writes and `len` holds `on`'s size.
    let got = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&raw mut on).cast(),
            &mut len,
        )
    };
    assert_eq!(got, 0, "getsockopt(TCP_NODELAY) on fd {fd}");
    on != 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_single_and_batch_sends() {
    let broker = start();
    let producer = open_producer(&broker).await;
    assert_eq!(
        producer
            .get_eventhub_properties()
            .await
            .unwrap()
            .partition_ids
            .len(),
        8
    );

    let to = |p: &str| {
        Some(SendEventOptions {
            partition_id: Some(p.to_string()),
        })
    };
    producer.send_event("single-0", to("2")).await.unwrap();
    producer
        .send_event(b"single-1".to_vec(), to("2"))
        .await
        .unwrap();
    let stored = broker.events(HUB, "2");
    assert_eq!(stored.len(), 2);
    assert_eq!(
        (
            stored[0].sequence_number,
            stored[0].offset.as_str(),
            stored[0].body.as_slice()
        ),
        (0, "0", &b"single-0"[..])
    );
    assert_eq!(
        (
            stored[1].sequence_number,
            stored[1].offset.as_str(),
            stored[1].body.as_slice()
        ),
        (1, "1000", &b"single-1"[..])
    );
    assert!(
        stored[0].enqueued_time_ms <= stored[1].enqueued_time_ms
            && stored[0].partition_key.is_none()
    );

    // Batch to a partition.
    let batch = producer
        .create_batch(Some(EventDataBatchOptions {
            partition_id: Some("5".into()),
            ..Default::default()
        }))
        .await
        .unwrap();
    for i in 0..3 {
        assert!(batch.try_add_event_data(format!("b{i}"), None).unwrap());
    }
    producer.send_batch(batch, None).await.unwrap();
    let bodies = |p: &str| {
        broker
            .events(HUB, p)
            .into_iter()
            .map(|e| String::from_utf8(e.body).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies("5"), ["b0", "b1", "b2"]);
    assert_eq!(
        broker
            .events(HUB, "5")
            .iter()
            .map(|e| e.sequence_number)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );

    // Batch without partition or key: the whole batch lands on one partition.
    let batch = producer.create_batch(None).await.unwrap();
    assert!(batch.try_add_event_data("rr-0", None).unwrap());
    assert!(batch.try_add_event_data("rr-1", None).unwrap());
    producer.send_batch(batch, None).await.unwrap();
    let holders: Vec<String> = (0..8)
        .map(|p| p.to_string())
        .filter(|p| bodies(p).iter().any(|b| b.starts_with("rr-")))
        .collect();
    assert_eq!(holders.len(), 1);
    assert_eq!(
        bodies(&holders[0])
            .into_iter()
            .filter(|b| b.starts_with("rr-"))
            .collect::<Vec<_>>(),
        ["rr-0", "rr-1"]
    );

    // Keyed batches: every event of the key lands on one partition, and keeps its key.
    for round in 0..2 {
        let batch = producer
            .create_batch(Some(EventDataBatchOptions {
                partition_key: Some("tenant-42".into()),
                ..Default::default()
            }))
            .await
            .unwrap();
        for i in 0..2 {
            assert!(batch
                .try_add_event_data(format!("k{round}{i}"), None)
                .unwrap());
        }
        producer.send_batch(batch, None).await.unwrap();
    }
    let keyed: Vec<(String, StoredEvent)> = (0..8)
        .flat_map(|p| {
            broker
                .events(HUB, &p.to_string())
                .into_iter()
                .map(move |e| (p.to_string(), e))
        })
        .filter(|(_, e)| e.partition_key.is_some())
        .collect();
    assert_eq!(keyed.len(), 4);
    assert!(keyed
        .iter()
        .all(|(p, e)| *p == keyed[0].0 && e.partition_key.as_deref() == Some("tenant-42")));
    assert_eq!(
        keyed
            .iter()
            .map(|(_, e)| String::from_utf8(e.body.clone()).unwrap())
            .collect::<Vec<_>>(),
        ["k00", "k01", "k10", "k11"]
    );

    // The key is delivered to consumers too.
    let consumer = open_consumer(&broker).await;
    let receiver = consumer
        .open_receiver_on_partition(keyed[0].0.clone(), from(StartLocation::Earliest, false))
        .await
        .unwrap();
    {
        let mut stream: EventStream = Box::pin(receiver.stream_events());
        let got = take(&mut stream, bodies(&keyed[0].0).len()).await;
        let keyed_got: Vec<_> = got.iter().filter(|e| e.partition_key().is_some()).collect();
        assert_eq!(keyed_got.len(), 4);
        assert!(keyed_got
            .iter()
            .all(|e| e.partition_key().as_deref() == Some("tenant-42")));
    }
    receiver.close().await.unwrap();
    consumer.close().await.unwrap();

    // Over 1 MiB: rejected, nothing stored. (Not just over: fe2o3 0.16 mangles a message that
    // splits into exactly two transfers, and the client's send then never returns.)
    let total = |b: &Broker| {
        (0..8)
            .map(|p| b.events(HUB, &p.to_string()).len())
            .sum::<usize>()
    };
    let before = total(&broker);
    let too_big = producer
        .send_event(vec![b'x'; 2 * 1024 * 1024 + 512 * 1024], to("0"))
        .await;
    // The Rejected outcome surfaces as AmqpError(described: LinkPayloadSizeExceeded).
    let err = format!(
        "{:?}",
        too_big.expect_err("oversized send should fail").kind
    );
    assert!(
        err.contains("LinkPayloadSizeExceeded") && err.contains("exceeds the limit"),
        "{err}"
    );
    assert_eq!(total(&broker), before);

    let tokens = broker.tokens();
    assert!(tokens.iter().any(|(aud, ty, token)| aud
        == &format!("amqps://{NS}/{HUB}/Partitions/2")
        && ty == "servicebus.windows.net:sastoken"
        && token.starts_with("SharedAccessSignature sr=")));
    producer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_start_positions_and_live_tail() {
    let broker = start();
    for i in 0..5 {
        broker.publish(HUB, "1", format!("ev-{i}").into_bytes());
        std::thread::sleep(Duration::from_millis(3)); // distinct enqueued times
    }
    let body = |s: i64| format!("ev-{s}");
    let consumer = open_consumer(&broker).await;

    // Each position needs its own link: the client caches receivers by partition URL, so the
    // previous receiver is closed first.
    let cases: Vec<(StartLocation, bool, std::ops::Range<i64>)> = vec![
        (StartLocation::Earliest, false, 0..5),
        (StartLocation::SequenceNumber(2), false, 3..5),
        (StartLocation::SequenceNumber(2), true, 2..5),
        (StartLocation::Offset("2000".into()), false, 3..5),
        (StartLocation::Offset("2000".into()), true, 2..5),
        (
            StartLocation::EnqueuedTime(
                UNIX_EPOCH
                    + Duration::from_millis(broker.events(HUB, "1")[2].enqueued_time_ms as u64),
            ),
            false,
            3..5,
        ),
    ];
    for (location, inclusive, range) in cases {
        let what = format!("{location:?} inclusive={inclusive}");
        let receiver = consumer
            .open_receiver_on_partition("1".into(), from(location, inclusive))
            .await
            .unwrap();
        {
            let mut stream: EventStream = Box::pin(receiver.stream_events());
            let got = take(&mut stream, range.clone().count()).await;
            assert_eq!(summary(&got), expected(range, body), "{what}");
            for (e, stored) in got.iter().zip(
                broker
                    .events(HUB, "1")
                    .iter()
                    .skip(got[0].sequence_number().unwrap() as usize),
            ) {
                let ms = e
                    .enqueued_time()
                    .unwrap()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as i64;
                assert_eq!(ms, stored.enqueued_time_ms);
                assert_eq!(e.partition_key(), &None);
            }
            assert_quiet(&mut stream).await;
        }
        receiver.close().await.unwrap();
    }

    // Latest sees nothing old, then tails new events, including ones from a producer.
    let receiver = consumer
        .open_receiver_on_partition("1".into(), from(StartLocation::Latest, false))
        .await
        .unwrap();
    {
        let mut stream: EventStream = Box::pin(receiver.stream_events());
        assert_quiet(&mut stream).await; // also makes sure the link is attached before publishing
        broker.publish(HUB, "1", b"ev-5".to_vec());
        let producer = open_producer(&broker).await;
        producer
            .send_event(
                "ev-6",
                Some(SendEventOptions {
                    partition_id: Some("1".into()),
                }),
            )
            .await
            .unwrap();
        let got = take(&mut stream, 2).await;
        assert_eq!(summary(&got), expected(5..7, body));
        producer.close().await.unwrap();
    }
    assert_eq!(
        broker.active_receivers(HUB),
        [("$Default".to_string(), "1".to_string(), 1)]
    );
    receiver.close().await.unwrap();
    consumer.close().await.unwrap();
    eventually("receivers to detach", || {
        broker.active_receivers(HUB).is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epoch_receiver_steals_partition() {
    let broker = start();
    broker.publish(HUB, "0", b"first".to_vec());
    let epoch = |e: Option<i64>| {
        Some(OpenReceiverOptions {
            owner_level: e,
            start_position: Some(StartPosition {
                location: StartLocation::Earliest,
                inclusive: false,
            }),
            ..Default::default()
        })
    };
    // Separate clients: one client would reuse its cached link for the same partition.
    let (a, b, c, d) = (
        open_consumer(&broker).await,
        open_consumer(&broker).await,
        open_consumer(&broker).await,
        open_consumer(&broker).await,
    );

    let ra = a
        .open_receiver_on_partition("0".into(), epoch(Some(1)))
        .await
        .unwrap();
    let mut sa: EventStream = Box::pin(ra.stream_events());
    assert_eq!(
        summary(&take(&mut sa, 1).await),
        expected(0..1, |_| "first".into())
    );

    // A plain (non-epoch) receiver coexists.
    let rd = d
        .open_receiver_on_partition("0".into(), epoch(None))
        .await
        .unwrap();
    let mut sd: EventStream = Box::pin(rd.stream_events());
    take(&mut sd, 1).await;
    assert_eq!(
        broker.active_receivers(HUB),
        [("$Default".to_string(), "0".to_string(), 2)]
    );

    // Same epoch: the newcomer takes over, the old stream ends with ConsumerDisconnected.
    let rb = b
        .open_receiver_on_partition("0".into(), epoch(Some(1)))
        .await
        .unwrap();
    let mut sb: EventStream = Box::pin(rb.stream_events());
    take(&mut sb, 1).await;
    let err = tokio::time::timeout(WAIT, sa.next())
        .await
        .expect("old stream did not end")
        .expect("stream item")
        .unwrap_err();
    match &err.kind {
        ErrorKind::ConsumerDisconnected(Some(described)) => {
            assert!(
                format!("{described:?}").contains("newer receiver"),
                "{described:?}"
            )
        }
        other => panic!("expected ConsumerDisconnected, got {other:?}"),
    }
    assert!(
        tokio::time::timeout(WAIT, sa.next())
            .await
            .unwrap()
            .is_none(),
        "stream ends after the error"
    );

    // Lower epoch: refused at attach.
    let rc = c
        .open_receiver_on_partition("0".into(), epoch(Some(0)))
        .await
        .unwrap();
    let mut sc: EventStream = Box::pin(rc.stream_events());
    let refused: EventHubsError = tokio::time::timeout(WAIT, sc.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(refused.kind, ErrorKind::ConsumerDisconnected(_)),
        "{refused:?}"
    );

    // The new owner keeps receiving live events.
    broker.publish(HUB, "0", b"second".to_vec());
    assert_eq!(
        summary(&take(&mut sb, 1).await),
        vec![(1, "1000".to_string(), b"second".to_vec())]
    );
    assert_eq!(
        summary(&take(&mut sd, 1).await),
        vec![(1, "1000".to_string(), b"second".to_vec())]
    );
    eventually("stolen links gone", || {
        broker.active_receivers(HUB) == [("$Default".to_string(), "0".to_string(), 2)]
    })
    .await;

    drop((sa, sb, sc, sd));
    ra.close().await.unwrap();
    rb.close().await.unwrap();
    rc.close().await.unwrap();
    rd.close().await.unwrap();
    for client in [a, b, c, d] {
        client.close().await.unwrap();
    }
    eventually("receivers to detach", || {
        broker.active_receivers(HUB).is_empty()
    })
    .await;
}

/// A minimal checkpoint store with blob-like ETag rules (lost claims are dropped, not errors).
#[derive(Default)]
struct MemoryStore {
    ownerships: Mutex<HashMap<String, Ownership>>,
    checkpoints: Mutex<HashMap<String, Checkpoint>>,
}

#[async_trait::async_trait]
impl CheckpointStore for MemoryStore {
    async fn claim_ownership(&self, claims: &[Ownership]) -> azure_core::Result<Vec<Ownership>> {
        let mut map = self.ownerships.lock().unwrap();
        let mut claimed = Vec::new();
        for claim in claims {
            let current = map.get(&claim.partition_id).and_then(|o| o.etag.clone());
            if current != claim.etag {
                continue;
            }
            let mut owned = claim.clone();
            owned.etag = Some(Etag::from(format!("{:?}", SystemTime::now())));
            owned.last_modified_time = Some(OffsetDateTime::now_utc());
            map.insert(claim.partition_id.clone(), owned.clone());
            claimed.push(owned);
        }
        Ok(claimed)
    }
    async fn list_checkpoints(
        &self,
        _: &str,
        _: &str,
        _: &str,
    ) -> azure_core::Result<Vec<Checkpoint>> {
        Ok(self.checkpoints.lock().unwrap().values().cloned().collect())
    }
    async fn list_ownerships(
        &self,
        _: &str,
        _: &str,
        _: &str,
    ) -> azure_core::Result<Vec<Ownership>> {
        Ok(self.ownerships.lock().unwrap().values().cloned().collect())
    }
    async fn update_checkpoint(&self, checkpoint: Checkpoint) -> azure_core::Result<()> {
        self.checkpoints
            .lock()
            .unwrap()
            .insert(checkpoint.partition_id.clone(), checkpoint);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_processor_claims_all_partitions() {
    let broker = start();
    for p in 0..8 {
        for i in 0..2 {
            broker.publish(HUB, &p.to_string(), format!("p{p}-e{i}").into_bytes());
        }
    }
    let store = Arc::new(MemoryStore::default());
    let processor = EventProcessor::builder()
        .with_load_balancing_strategy(ProcessorStrategy::Greedy)
        .with_update_interval(azure_core::time::Duration::seconds(1))
        .with_partition_expiration_duration(azure_core::time::Duration::seconds(3))
        .with_start_positions(StartPositions {
            default: StartPosition {
                location: StartLocation::Earliest,
                inclusive: false,
            },
            per_partition: HashMap::new(),
        })
        .build(open_consumer(&broker).await, store.clone())
        .await
        .unwrap();
    let runner = {
        let processor = processor.clone();
        tokio::spawn(async move { processor.run().await })
    };

    // PartitionClient::stream_events() is not Send, so read the 8 partitions concurrently in
    // this task instead of spawning.
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(
            tokio::time::timeout(WAIT, processor.next_partition_client())
                .await
                .expect("partition client")
                .unwrap(),
        );
    }
    let reads = clients.iter().map(|client| async move {
        let events = {
            let mut stream: EventStream = Box::pin(client.stream_events());
            take(&mut stream, 2).await
        };
        client.update_checkpoint(&events[1]).await.unwrap();
        events
    });
    let mut seen = Vec::new();
    for (client, events) in clients.iter().zip(futures::future::join_all(reads).await) {
        let p: i64 = client.get_partition_id().parse().unwrap();
        assert_eq!(summary(&events), expected(0..2, |s| format!("p{p}-e{s}")));
        seen.push(p);
    }
    seen.sort();
    assert_eq!(seen, (0..8).collect::<Vec<_>>());
    let expected_receivers: Vec<_> = (0..8)
        .map(|p| ("$Default".to_string(), p.to_string(), 1))
        .collect();
    assert_eq!(broker.active_receivers(HUB), expected_receivers);
    let checkpoints = store.checkpoints.lock().unwrap().clone();
    assert_eq!(checkpoints.len(), 8);
    assert!(checkpoints
        .values()
        .all(|c| c.offset.as_deref() == Some("1000") && c.sequence_number == Some(1)));

    // shutdown() only stops run() after its next tick; ownership stays in the store.
    processor.shutdown().await.unwrap();
    tokio::time::timeout(WAIT, runner)
        .await
        .expect("run() did not stop")
        .unwrap()
        .unwrap();
    let ownerships = store.ownerships.lock().unwrap().clone();
    assert_eq!(ownerships.len(), 8);
    assert!(ownerships.values().all(|o| o.owner_id.is_some()));

    // run() has dropped its consumer map, so each client is ours alone to close.
    for client in clients {
        Arc::try_unwrap(client)
            .ok()
            .expect("sole owner")
            .close()
            .await
            .unwrap();
    }
    Arc::try_unwrap(processor)
        .ok()
        .expect("sole owner")
        .close()
        .await
        .unwrap();
    eventually("receivers to detach", || {
        broker.active_receivers(HUB).is_empty()
    })
    .await;
}
