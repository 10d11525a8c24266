//! An in-memory Azure Event Hubs broker speaking AMQP 1.0, for tests that drive the real
//! `azure_messaging_eventhubs` 0.16 client through `with_custom_endpoint("amqp://...")`.
//!
//! It implements what that client needs (shared/reference/eventhubs.md §3.3): SASL ANONYMOUS,
//! `$cbs` put-token, `$management` READ with the exact AMQP types the client expects, partition
//! consumers (selector filters, epochs, live tail), and producers (single and batch sends).
//! It also works around three fe2o3-amqp 0.16 races, each marked "§3.3" below.
//! Set `AAD_BROKER_DEBUG` to log to stderr; it never writes to stdout.

use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod frames;

use fe2o3_amqp::acceptor::{
    ConnectionAcceptor, LinkAcceptor, LinkEndpoint, ListenerSessionHandle, SaslAnonymousMechanism,
    SessionAcceptor, SupportedReceiverSettleModes, SupportedSenderSettleModes,
};
use fe2o3_amqp::link::{DetachError, RecvError};
use fe2o3_amqp::{Delivery, Receiver, Sendable, Sender};
use fe2o3_amqp_types::definitions::{self, AmqpError, LinkError, Role, SenderSettleMode};
use fe2o3_amqp_types::messaging::message::DecodeIntoMessage;
use fe2o3_amqp_types::messaging::{
    AmqpValue, ApplicationProperties, Body, Data, Message, MessageAnnotations, Properties,
    TargetArchetype,
};
use fe2o3_amqp_types::performatives::Attach;
use fe2o3_amqp_types::primitives::{Array, Binary, SimpleValue, Timestamp, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// Advertised on every link: the client's `create_batch` fails without a non-zero value.
pub const MAX_MESSAGE_SIZE: u64 = 1024 * 1024;
const BATCH_FORMAT: u32 = 0x8001_3700;
/// Links per session, as sessions advertise it.
const HANDLE_MAX: u32 = 255;
/// §3.3 race 1: a client `send` hangs if its transfer is settled before it registered the delivery.
const SETTLE_DELAY: Duration = Duration::from_millis(3);
/// Bound on waiting for a client's answering detach, so a silent client cannot wedge a task.
const DETACH_TIMEOUT: Duration = Duration::from_secs(2);
/// The AMQP "no time" timestamp (year 1); the client maps it to `None`.
const NO_TIME_MS: i64 = -62_135_596_800_000;

type Reply = Message<AmqpValue<Value>>;
/// (partition key, body) of one event to store.
type NewEvent = (Option<String>, Vec<u8>);
/// A session's reply links: their target address → (the node they listen to, the link's queue).
type ReplyLinks = Arc<Mutex<HashMap<String, (String, mpsc::UnboundedSender<Reply>)>>>;

macro_rules! debug {
    ($($arg:tt)*) => {
        if debug_enabled() { eprintln!("[eventhubs-broker] {}", format!($($arg)*)); }
    };
}

fn debug_enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("AAD_BROKER_DEBUG").is_some())
}

/// One event as stored in a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub sequence_number: i64,
    pub offset: String,
    pub enqueued_time_ms: i64,
    pub partition_key: Option<String>,
    pub body: Vec<u8>,
}

/// A running broker. Dropping it stops accepting, closes every socket and aborts all tasks.
pub struct Broker {
    shared: Arc<Shared>,
    listen: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Broker {
    /// Starts on 127.0.0.1:0 on its own thread and multi-thread runtime, so it works from sync
    /// tests and outlives client runtimes. Hub `(name, n)` gets partitions "0".."n-1".
    pub fn start(namespace: &str, hubs: &[(&str, u32)]) -> Broker {
        Self::start_on("127.0.0.1:0".parse().expect("loopback"), namespace, hubs)
            .expect("bind broker")
    }

    /// As [`Broker::start`], listening on `listen` (the `test-hub` program); fails when the
    /// address cannot be bound.
    pub fn start_on(
        listen: std::net::SocketAddr,
        namespace: &str,
        hubs: &[(&str, u32)],
    ) -> std::io::Result<Broker> {
        let created_ms = now_ms();
        let hubs = hubs
            .iter()
            .map(|(name, n)| {
                let partitions = (0..*n)
                    .map(|_| Partition {
                        events: Vec::new(),
                        changed: watch::channel(()).0,
                    })
                    .collect();
                (
                    name.to_string(),
                    Hub {
                        created_ms,
                        partitions,
                        next_round_robin: 0,
                    },
                )
            })
            .collect();
        let shared = Arc::new(Shared {
            namespace: namespace.to_string(),
            state: Mutex::new(State {
                hubs,
                ..State::default()
            }),
        });
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let task_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("eventhubs-broker".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("broker runtime");
                runtime.block_on(async move {
                    let listener = match TcpListener::bind(listen).await {
                        Ok(listener) => listener,
                        Err(e) => return drop(port_tx.send(Err(e))),
                    };
                    let _ = port_tx.send(listener.local_addr().map(|a| a.port()));
                    tokio::select! {
                        _ = accept_loop(task_shared, listener) => {}
                        _ = stop_rx => {}
                    }
                });
                runtime.shutdown_background();
            })
            .expect("spawn broker thread");
        let port = port_rx.recv().expect("broker failed to start")?;
        Ok(Broker {
            shared,
            listen: std::net::SocketAddr::new(listen.ip(), port),
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `amqp://HOST:PORT`, for `with_custom_endpoint` (plain TCP, no TLS).
    pub fn endpoint(&self) -> String {
        format!("amqp://{}", self.listen)
    }

    /// The address it listens on.
    pub fn listen_address(&self) -> std::net::SocketAddr {
        self.listen
    }

    pub fn namespace(&self) -> &str {
        &self.shared.namespace
    }

    /// Appends directly (test seeding without a producer). Returns the sequence number.
    pub fn publish(&self, hub: &str, partition: &str, body: Vec<u8>) -> i64 {
        self.shared
            .append(hub, Some(partition), vec![(None, body)])
            .unwrap_or_else(|e| panic!("publish to {hub}/{partition}: {:?}", e.description))
    }

    /// Adds a partition to a running hub, as Event Hubs allows (Premium, Dedicated and, since
    /// 2023, Standard); returns its id. The hub's properties list it from now on.
    pub fn add_partition(&self, hub: &str) -> String {
        let mut state = self.shared.lock();
        let h = state.hubs.get_mut(hub).expect("known hub");
        h.partitions.push(Partition {
            events: Vec::new(),
            changed: watch::channel(()).0,
        });
        (h.partitions.len() - 1).to_string()
    }

    /// How many events each partition of a hub holds (empty for an unknown hub).
    pub fn stored(&self, hub: &str) -> Vec<u64> {
        let state = self.shared.lock();
        state.hubs.get(hub).map_or_else(Vec::new, |h| {
            h.partitions.iter().map(|p| p.events.len() as u64).collect()
        })
    }

    /// Everything stored in one partition, oldest first.
    pub fn events(&self, hub: &str, partition: &str) -> Vec<StoredEvent> {
        let mut state = self.shared.lock();
        match state.partition(hub, partition) {
            Ok(p) => p.events.clone(),
            Err(_) => panic!("unknown partition {hub}/{partition}"),
        }
    }

    /// Every CBS put-token seen: (audience, token type, token).
    pub fn tokens(&self) -> Vec<(String, String, String)> {
        self.shared.lock().tokens.clone()
    }

    /// Currently attached consumer links of a hub: (consumer group, partition, count), sorted.
    pub fn active_receivers(&self, hub: &str) -> Vec<(String, String, u64)> {
        let state = self.shared.lock();
        let mut out: Vec<_> = state
            .receivers
            .iter()
            .filter(|((h, _, _), entries)| h == hub && !entries.is_empty())
            .map(|((_, cg, p), entries)| (cg.clone(), p.clone(), entries.len() as u64))
            .collect();
        out.sort();
        out
    }

    /// Closes every consumer link of a hub with `amqp:link:detach-forced`, as Event Hubs does
    /// when it moves a partition between its nodes; connections and sessions stay up.
    pub fn detach_consumers(&self, hub: &str) {
        self.each_consumer(hub, |r| r.forced.cancel());
    }

    /// Makes the consumer links now attached to a hub go silent: they stay attached and send
    /// nothing more, which is what a receiver stuck inside the client looks like from outside.
    /// Links attached later deliver as usual.
    pub fn mute_consumers(&self, hub: &str) {
        self.each_consumer(hub, |r| r.muted.cancel());
    }

    fn each_consumer(&self, hub: &str, f: impl Fn(&ReceiverEntry)) {
        let state = self.shared.lock();
        for ((h, _, _), entries) in &state.receivers {
            if h == hub {
                entries.iter().for_each(&f);
            }
        }
    }

    /// The highest sequence number sent to any consumer of one partition, if any.
    pub fn delivered(&self, hub: &str, partition: &str) -> Option<i64> {
        let key = (hub.to_string(), partition.to_string());
        self.shared.lock().delivered.get(&key).copied()
    }

    /// Consumer links attached so far to each partition of a hub: partition → count.
    pub fn attaches(&self, hub: &str) -> HashMap<String, u64> {
        let state = self.shared.lock();
        let mut out = HashMap::new();
        for ((h, _, p), n) in &state.attaches {
            if h == hub {
                *out.entry(p.clone()).or_default() += n;
            }
        }
        out
    }

    /// Drops all open connections (simulates a network blip) without stopping the broker.
    pub fn drop_connections(&self) {
        for socket in self.shared.lock().sockets.values() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        for (_, socket) in self.shared.lock().sockets.drain() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Partition {
    events: Vec<StoredEvent>,
    changed: watch::Sender<()>,
}

struct Hub {
    created_ms: i64,
    partitions: Vec<Partition>,
    next_round_robin: usize,
}

struct ReceiverEntry {
    id: u64,
    epoch: Option<i64>,
    stolen: CancellationToken,
    /// Cancelled by [`Broker::detach_consumers`].
    forced: CancellationToken,
    /// Cancelled by [`Broker::mute_consumers`].
    muted: CancellationToken,
}

/// (hub, consumer group, partition)
type ReceiverKey = (String, String, String);

#[derive(Default)]
struct State {
    hubs: HashMap<String, Hub>,
    tokens: Vec<(String, String, String)>,
    receivers: HashMap<ReceiverKey, Vec<ReceiverEntry>>,
    /// Consumer links ever registered, per key.
    attaches: HashMap<ReceiverKey, u64>,
    /// (hub, partition) → the highest sequence number sent to a consumer.
    delivered: HashMap<(String, String), i64>,
    /// Clones of accepted sockets, so `drop_connections` can cut them under fe2o3's feet.
    sockets: HashMap<u64, std::net::TcpStream>,
    next_id: u64,
}

impl State {
    fn partition(
        &mut self,
        hub: &str,
        partition: &str,
    ) -> Result<&mut Partition, definitions::Error> {
        let h = self
            .hubs
            .get_mut(hub)
            .ok_or_else(|| not_found(format!("event hub '{hub}'")))?;
        partition
            .parse::<usize>()
            .ok()
            .and_then(|i| h.partitions.get_mut(i))
            .ok_or_else(|| not_found(format!("partition '{partition}' of '{hub}'")))
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

struct Shared {
    namespace: String,
    state: Mutex<State>,
}

struct Registration {
    key: ReceiverKey,
    id: u64,
    next: usize,
    changed: watch::Receiver<()>,
    stolen: CancellationToken,
    forced: CancellationToken,
    muted: CancellationToken,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Appends events to one partition: the given one, else by the first partition key's hash,
    /// else round robin. Returns the last sequence number.
    fn append(
        &self,
        hub: &str,
        partition: Option<&str>,
        events: Vec<NewEvent>,
    ) -> Result<i64, definitions::Error> {
        let mut state = self.lock();
        let index = match partition {
            Some(p) => {
                state.partition(hub, p)?;
                p.parse::<usize>().expect("checked above")
            }
            None => {
                let h = state
                    .hubs
                    .get_mut(hub)
                    .ok_or_else(|| not_found(format!("event hub '{hub}'")))?;
                let n = h.partitions.len();
                match events.iter().find_map(|(key, _)| key.as_deref()) {
                    Some(key) => (fnv1a(key.as_bytes()) as usize) % n,
                    None => {
                        h.next_round_robin += 1;
                        (h.next_round_robin - 1) % n
                    }
                }
            }
        };
        let p = &mut state.hubs.get_mut(hub).expect("checked above").partitions[index];
        let mut last = -1;
        for (partition_key, body) in events {
            let sequence_number = p.events.len() as i64;
            let enqueued_time_ms = p
                .events
                .last()
                .map_or(0, |e| e.enqueued_time_ms)
                .max(now_ms());
            let offset = (sequence_number * 1000).to_string();
            p.events.push(StoredEvent {
                sequence_number,
                offset,
                enqueued_time_ms,
                partition_key,
                body,
            });
            last = sequence_number;
        }
        p.changed.send_replace(());
        Ok(last)
    }

    /// Adds a consumer link. An epoch receiver displaces existing epoch receivers with a lower or
    /// equal epoch and is refused when a higher one exists; non-epoch receivers just coexist.
    fn register_receiver(
        &self,
        hub: &str,
        consumer_group: &str,
        partition: &str,
        selector: Option<&str>,
        epoch: Option<i64>,
    ) -> Result<Registration, definitions::Error> {
        let mut state = self.lock();
        let p = state.partition(hub, partition)?;
        let next = start_index(&p.events, selector)?;
        let changed = p.changed.subscribe();
        let id = state.next_id();
        let key = (
            hub.to_string(),
            consumer_group.to_string(),
            partition.to_string(),
        );
        let entries = state.receivers.entry(key.clone()).or_default();
        if let Some(new) = epoch {
            if let Some(old) = entries
                .iter()
                .filter_map(|r| r.epoch)
                .find(|old| *old > new)
            {
                return Err(definitions::Error::new(
                    LinkError::Stolen,
                    format!("a receiver with a higher epoch {old} exists; epoch {new} refused"),
                    None,
                ));
            }
            entries.retain(|r| {
                if r.epoch.is_some() {
                    r.stolen.cancel();
                }
                r.epoch.is_none()
            });
        }
        let (stolen, forced, muted) = (
            CancellationToken::new(),
            CancellationToken::new(),
            CancellationToken::new(),
        );
        entries.push(ReceiverEntry {
            id,
            epoch,
            stolen: stolen.clone(),
            forced: forced.clone(),
            muted: muted.clone(),
        });
        *state.attaches.entry(key.clone()).or_default() += 1;
        Ok(Registration {
            key,
            id,
            next,
            changed,
            stolen,
            forced,
            muted,
        })
    }

    fn unregister_receiver(&self, key: &ReceiverKey, id: u64) {
        if let Some(entries) = self.lock().receivers.get_mut(key) {
            entries.retain(|r| r.id != id);
        }
    }

    /// `$cbs` put-token: record it and say 202.
    fn put_token(&self, request: &Message<Body<Value>>) -> (i32, String, Value) {
        let token = match &request.body {
            Body::Value(AmqpValue(Value::String(token))) => token.clone(),
            _ => String::new(),
        };
        let name = app_property(request, "name").unwrap_or_default();
        let token_type = app_property(request, "type").unwrap_or_default();
        debug!("put-token {name} ({token_type})");
        self.lock().tokens.push((name, token_type, token));
        (202, "Accepted".into(), Value::Map(Default::default()))
    }

    /// `$management` READ of an event hub or a partition, with the exact AMQP types the client
    /// converts with `From<&AmqpValue>` (which panics on a mismatch).
    fn read(&self, request: &Message<Body<Value>>) -> (i32, String, Value) {
        let empty = Value::Map(Default::default());
        if app_property(request, "operation").as_deref() != Some("READ") {
            return (501, "only READ is supported".into(), empty);
        }
        let hub_name = app_property(request, "name").unwrap_or_default();
        let mut state = self.lock();
        let Some(hub) = state.hubs.get(&hub_name) else {
            return (404, format!("event hub '{hub_name}' not found"), empty);
        };
        match app_property(request, "type").as_deref() {
            Some("com.microsoft:eventhub") => {
                let ids: Vec<Value> = (0..hub.partitions.len())
                    .map(|i| Value::String(i.to_string()))
                    .collect();
                let map = amqp_map(vec![
                    ("name", Value::String(hub_name.clone())),
                    ("type", Value::String("com.microsoft:eventhub".into())),
                    (
                        "created_at",
                        Value::Timestamp(Timestamp::from_milliseconds(hub.created_ms)),
                    ),
                    ("partition_count", Value::Int(ids.len() as i32)),
                    ("partition_ids", Value::Array(Array::from(ids))),
                ]);
                (200, "OK".into(), map)
            }
            Some("com.microsoft:partition") => {
                let id = app_property(request, "partition").unwrap_or_default();
                let Ok(p) = state.partition(&hub_name, &id) else {
                    return (
                        404,
                        format!("partition '{id}' of '{hub_name}' not found"),
                        empty,
                    );
                };
                let last = p.events.last();
                let map = amqp_map(vec![
                    ("name", Value::String(hub_name.clone())),
                    ("partition", Value::String(id.clone())),
                    ("type", Value::String("com.microsoft:partition".into())),
                    ("begin_sequence_number", Value::Long(0)),
                    (
                        "last_enqueued_sequence_number",
                        Value::Long(last.map_or(-1, |e| e.sequence_number)),
                    ),
                    ("last_enqueued_sequence_number_epoch", Value::Long(0)),
                    (
                        "last_enqueued_offset",
                        Value::String(last.map_or("-1".into(), |e| e.offset.clone())),
                    ),
                    (
                        "last_enqueued_time_utc",
                        Value::Timestamp(Timestamp::from_milliseconds(
                            last.map_or(NO_TIME_MS, |e| e.enqueued_time_ms),
                        )),
                    ),
                    ("is_partition_empty", Value::Bool(last.is_none())),
                ]);
                (200, "OK".into(), map)
            }
            other => (400, format!("unsupported entity type {other:?}"), empty),
        }
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                debug!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // Keep a clone of the socket so drop_connections/Drop can shut it down.
        let Ok(std_stream) = stream.into_std() else {
            continue;
        };
        let clone = std_stream.try_clone().ok();
        let Ok(stream) = TcpStream::from_std(std_stream) else {
            continue;
        };
        let id = {
            let mut state = shared.lock();
            let id = state.next_id();
            if let Some(clone) = clone {
                state.sockets.insert(id, clone);
            }
            id
        };
        tokio::spawn(serve_connection(shared.clone(), stream, id));
    }
}

/// Forgets a connection's socket however its task ends (including abort).
struct SocketGuard(Arc<Shared>, u64);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.lock().sockets.remove(&self.1);
    }
}

async fn serve_connection(shared: Arc<Shared>, stream: TcpStream, id: u64) {
    let _guard = SocketGuard(shared.clone(), id);
    let acceptor = ConnectionAcceptor::builder()
        .container_id("aad-test-eventhubs-broker")
        .sasl_acceptor(SaslAnonymousMechanism::new())
        .build();
    let mut connection = match acceptor.accept(frames::FullFrames::new(stream)).await {
        Ok(connection) => connection,
        Err(e) => return debug!("connection {id}: open failed: {e:?}"),
    };
    let mut sessions = JoinSet::new();
    while let Some(incoming) = connection.next_incoming_session().await {
        while sessions.try_join_next().is_some() {}
        // An explicit handle-max: the Python SDK compares with it and fails on an absent one.
        match SessionAcceptor::builder()
            .handle_max(HANDLE_MAX)
            .build()
            .accept_incoming_session(incoming, &mut connection)
            .await
        {
            Ok(session) => drop(sessions.spawn(serve_session(shared.clone(), session))),
            Err(e) => debug!("connection {id}: begin failed: {e:?}"),
        }
    }
    debug!("connection {id} ended");
}

async fn serve_session(shared: Arc<Shared>, mut session: ListenerSessionHandle) {
    // Receiver settle mode `first` only, as the service: a link asking for `second` (the Python
    // SDK's producer) is answered with `first`, and deliveries are settled on acceptance.
    // Sender settle mode `mixed` (or `settled`): events go out pre-settled, since Event Hubs has
    // no acknowledgements; a link asking for `unsettled` (the Python SDK's consumer, which never
    // settles) is answered with `mixed`, or each send would wait for a disposition forever.
    let acceptor = LinkAcceptor::builder()
        .max_message_size(MAX_MESSAGE_SIZE)
        .supported_receiver_settle_modes(SupportedReceiverSettleModes::First)
        .supported_sender_settle_modes(SupportedSenderSettleModes::SettledAndMixed)
        .fallback_sender_settle_mode(SenderSettleMode::Mixed)
        .build();
    let replies: ReplyLinks = Default::default();
    let mut links = JoinSet::new();
    while let Some(attach) = session.next_incoming_attach().await {
        while links.try_join_next().is_some() {}
        let source = attach
            .source
            .as_ref()
            .and_then(|s| s.address.clone())
            .unwrap_or_default();
        let target = match attach.target.as_deref() {
            Some(TargetArchetype::Target(t)) => t.address.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let (selector, epoch) = (selector(&attach), epoch(&attach));
        let node = if matches!(attach.role, Role::Receiver) {
            &source
        } else {
            &target
        };
        let is_node = node == "$cbs" || node == "$management";
        let is_cbs = node == "$cbs";
        // Register a reply link before its attach completes: the client sends its request
        // as soon as both attaches are done.
        let reply_rx = (is_node && matches!(attach.role, Role::Receiver)).then(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            lock(&replies).insert(target.clone(), (node.clone(), tx));
            rx
        });
        debug!(
            "attach {:?} '{}' source={source} target={target}",
            attach.role, attach.name
        );
        let link = match acceptor.accept_incoming_attach(attach, &mut session).await {
            Ok(link) => link,
            Err(e) => {
                debug!("attach failed: {e:?}");
                continue;
            }
        };
        match (link, reply_rx) {
            (LinkEndpoint::Sender(link), Some(rx)) => links.spawn(serve_replies(link, rx, is_cbs)),
            (LinkEndpoint::Sender(link), None) => links.spawn(serve_consumer(
                shared.clone(),
                link,
                source,
                selector,
                epoch,
            )),
            (LinkEndpoint::Receiver(link), _) if is_node => links.spawn(serve_requests(
                shared.clone(),
                link,
                replies.clone(),
                is_cbs,
            )),
            (LinkEndpoint::Receiver(link), _) => {
                links.spawn(serve_producer(shared.clone(), link, target))
            }
        };
    }
}

/// Requests on `$cbs` / `$management`: accept, answer on the link whose target is `reply-to`.
async fn serve_requests(shared: Arc<Shared>, mut link: Receiver, replies: ReplyLinks, cbs: bool) {
    loop {
        let delivery: Delivery<Body<Value>> = match link.recv().await {
            Ok(delivery) => delivery,
            Err(RecvError::LinkStateError(_)) => return,
            Err(e) => {
                debug!("bad request: {e:?}");
                continue;
            }
        };
        tokio::time::sleep(SETTLE_DELAY).await;
        let _ = link.accept(&delivery).await;
        let request = delivery.into_message();
        let (status, description, body) = if cbs {
            shared.put_token(&request)
        } else {
            shared.read(&request)
        };
        let (message_id, reply_to) = match &request.properties {
            Some(p) => (p.message_id.clone(), p.reply_to.clone().unwrap_or_default()),
            None => (None, String::new()),
        };
        let mut reply_props = Properties::builder();
        if let Some(id) = message_id {
            reply_props = reply_props.correlation_id(id);
        }
        let reply = Message::builder()
            .properties(reply_props.build())
            .application_properties(
                ApplicationProperties::builder()
                    .insert("status-code", status)
                    .insert("status-description", description)
                    .build(),
            )
            .value(body)
            .build();
        // The Rust SDK names its reply link in `reply-to`; the Python SDK sends none and, as the
        // service does then, is answered on the session's reply link of the same node.
        let node = if cbs { "$cbs" } else { "$management" };
        {
            let replies = lock(&replies);
            let reply_link = match reply_to.as_str() {
                "" => replies.values().find(|(n, _)| n == node),
                to => replies.get(to),
            };
            match reply_link {
                Some((_, tx)) => drop(tx.send(reply)),
                None => debug!("no reply link for '{reply_to}' on {node}"),
            }
        }
        if cbs {
            // §3.3 race 3: the client drops its $cbs links without a handshake; answering that
            // detach can kill the whole client connection. Stay silent until the session ends.
            return std::future::pending().await;
        }
    }
}

/// Sends replies; answers the client's detach on `$management` (§3.3 race 2: an idle fe2o3 0.16
/// link answers a detach only while polled), never on `$cbs` (§3.3 race 3).
async fn serve_replies(mut link: Sender, mut rx: mpsc::UnboundedReceiver<Reply>, cbs: bool) {
    loop {
        let reply = if cbs {
            rx.recv().await
        } else {
            tokio::select! {
                reply = rx.recv() => reply,
                e = link.on_detach() => return answer_detach(link, e).await,
            }
        };
        let Some(reply) = reply else { return };
        let sendable = Sendable::builder().message(reply).settled(true).build();
        if link.send(sendable).await.is_err() {
            return;
        }
    }
}

async fn answer_detach(link: Sender, error: DetachError) {
    let answer = async move {
        match error {
            DetachError::DetachedByRemote | DetachError::RemoteDetachedWithError(_) => {
                let _ = link.detach().await;
            }
            DetachError::ClosedByRemote | DetachError::RemoteClosedWithError(_) => {
                let _ = link.close().await;
            }
            _ => {}
        }
    };
    let _ = timeout(DETACH_TIMEOUT, answer).await;
}

async fn close_with(link: Sender, error: definitions::Error) {
    debug!(
        "closing consumer link '{}': {:?}",
        link.name(),
        error.description
    );
    let _ = timeout(DETACH_TIMEOUT, link.close_with_error(error)).await;
}

/// Removes a consumer link from the registry however its task ends.
struct ReceiverGuard(Arc<Shared>, ReceiverKey, u64);

impl Drop for ReceiverGuard {
    fn drop(&mut self) {
        self.0.unregister_receiver(&self.1, self.2);
    }
}

/// A partition consumer: stored events from the start position, then a live tail.
async fn serve_consumer(
    shared: Arc<Shared>,
    mut link: Sender,
    address: String,
    selector: Option<String>,
    epoch: Option<i64>,
) {
    let registration = match parse_entity(&shared.namespace, &address) {
        Some((hub, Some(cg), Some(p))) => {
            shared.register_receiver(&hub, &cg, &p, selector.as_deref(), epoch)
        }
        _ => Err(not_found(format!("consumer entity '{address}'"))),
    };
    let Registration {
        key,
        id,
        mut next,
        mut changed,
        stolen,
        forced,
        muted,
    } = match registration {
        Ok(registration) => registration,
        Err(error) => return close_with(link, error).await,
    };
    let _guard = ReceiverGuard(shared.clone(), key.clone(), id);
    let stolen_error = || {
        let description = "a newer receiver with an equal or higher epoch took over this partition";
        definitions::Error::new(LinkError::Stolen, description.to_string(), None)
    };
    let forced_error = || {
        let description = "the partition moved to another node; attach again";
        definitions::Error::new(LinkError::DetachForced, description.to_string(), None)
    };
    loop {
        changed.borrow_and_update();
        let silent = muted.is_cancelled();
        let batch: Vec<StoredEvent> = match shared.lock().partition(&key.0, &key.2) {
            Ok(_) if silent => Vec::new(),
            Ok(p) => p.events[next..].iter().take(64).cloned().collect(),
            Err(_) => return,
        };
        if batch.is_empty() {
            tokio::select! {
                changed = changed.changed(), if !silent => if changed.is_err() { return },
                _ = muted.cancelled(), if !silent => {}
                e = link.on_detach() => return answer_detach(link, e).await,
                _ = stolen.cancelled() => return close_with(link, stolen_error()).await,
                _ = forced.cancelled() => return close_with(link, forced_error()).await,
            }
            continue;
        }
        for event in batch {
            if muted.is_cancelled() {
                break;
            }
            let sequence_number = event.sequence_number;
            // `send` waits for credit; meanwhile it answers a detach itself.
            tokio::select! {
                sent = link.send(event_message(event)) => if sent.is_err() { return },
                _ = stolen.cancelled() => return close_with(link, stolen_error()).await,
                _ = forced.cancelled() => return close_with(link, forced_error()).await,
            }
            next = sequence_number as usize + 1;
            // Let the other partitions' links send too: without this, a link whose credit came
            // back sent its whole backlog before any other got a turn, and the service was fed
            // one or two partitions at a time (Event Hubs serves its partitions side by side).
            tokio::task::yield_now().await;
            let mut state = shared.lock();
            let sent = state
                .delivered
                .entry((key.0.clone(), key.2.clone()))
                .or_insert(sequence_number);
            *sent = (*sent).max(sequence_number);
        }
    }
}

/// A producer link: single messages and batches, accepted after `SETTLE_DELAY`.
async fn serve_producer(shared: Arc<Shared>, mut link: Receiver, address: String) {
    let (hub, partition) = match parse_entity(&shared.namespace, &address) {
        Some((hub, None, partition)) => (hub, partition),
        _ => (String::new(), None),
    };
    let known = match &partition {
        Some(p) => shared.lock().partition(&hub, p).map(|_| ()),
        None if shared.lock().hubs.contains_key(&hub) => Ok(()),
        None => Err(not_found(format!("event hub '{address}'"))),
    };
    if let Err(error) = known {
        let _ = timeout(DETACH_TIMEOUT, link.close_with_error(error)).await;
        return;
    }
    loop {
        let delivery: Delivery<Body<Value>> = match link.recv().await {
            Ok(delivery) => delivery,
            Err(RecvError::LinkStateError(_)) => return,
            Err(e) => {
                // No delivery to settle. fe2o3 0.16 clients split a message over max-message-size
                // into transfers it cannot reassemble; the AMQP answer is a link error.
                debug!("bad transfer: {e:?}");
                let condition: definitions::ErrorCondition = match e {
                    RecvError::MessageDecode(_) => AmqpError::DecodeError.into(),
                    _ => LinkError::MessageSizeExceeded.into(),
                };
                let error = definitions::Error::new(condition, format!("{e}"), None);
                let _ = timeout(DETACH_TIMEOUT, link.close_with_error(error)).await;
                return;
            }
        };
        tokio::time::sleep(SETTLE_DELAY).await;
        let stored = decode_events(&delivery)
            .and_then(|events| shared.append(&hub, partition.as_deref(), events));
        let _ = match stored {
            Ok(_) => link.accept(&delivery).await,
            Err(error) => link.reject(&delivery, error).await,
        };
    }
}

/// (partition key, body) of each event in a delivery: one for format 0, one per Data section
/// (each an AMQP-encoded message) for a batch.
fn decode_events(delivery: &Delivery<Body<Value>>) -> Result<Vec<NewEvent>, definitions::Error> {
    let message = delivery.message();
    let size: usize = match &message.body {
        Body::Data(sections) => sections.iter().map(|d| d.0.len()).sum(),
        _ => body_bytes(&message.body).len(),
    };
    if size as u64 > MAX_MESSAGE_SIZE {
        let description =
            format!("message of {size} bytes exceeds the limit of {MAX_MESSAGE_SIZE}");
        return Err(definitions::Error::new(
            LinkError::MessageSizeExceeded,
            description,
            None,
        ));
    }
    let key = partition_key(message.message_annotations.as_ref());
    if *delivery.message_format() != Some(BATCH_FORMAT) {
        return Ok(vec![(key, body_bytes(&message.body))]);
    }
    let decode_error = |what: String| definitions::Error::new(AmqpError::DecodeError, what, None);
    let Body::Data(sections) = &message.body else {
        return Err(decode_error("a batch must consist of data sections".into()));
    };
    sections
        .iter()
        .map(|Data(bytes)| {
            let reader = serde_amqp::read::SliceReader::new(bytes);
            let inner = <Body<Value> as DecodeIntoMessage>::decode_message_from_reader(reader)
                .map_err(|e| decode_error(format!("batch entry: {e}")))?;
            let inner_key = partition_key(inner.message_annotations.as_ref());
            Ok((inner_key.or_else(|| key.clone()), body_bytes(&inner.body)))
        })
        .collect()
}

fn body_bytes(body: &Body<Value>) -> Vec<u8> {
    match body {
        Body::Data(sections) => sections.iter().flat_map(|d| d.0.iter().copied()).collect(),
        Body::Value(AmqpValue(Value::Binary(bytes))) => bytes.to_vec(),
        Body::Value(AmqpValue(Value::String(s))) => s.clone().into_bytes(),
        _ => Vec::new(),
    }
}

fn partition_key(annotations: Option<&MessageAnnotations>) -> Option<String> {
    annotations?.0.iter().find_map(|(k, v)| match (k, v) {
        (fe2o3_amqp_types::messaging::annotations::OwnedKey::Symbol(s), Value::String(key))
            if s.0 == "x-opt-partition-key" =>
        {
            Some(key.clone())
        }
        _ => None,
    })
}

/// A delivery as the service sends it: system properties in message annotations, body as one
/// Data section, pre-settled (so no disposition race on our side).
fn event_message(event: StoredEvent) -> Sendable<Data> {
    let mut annotations = MessageAnnotations::builder()
        .insert("x-opt-sequence-number", Value::Long(event.sequence_number))
        .insert("x-opt-offset", Value::String(event.offset))
        .insert(
            "x-opt-enqueued-time",
            Value::Timestamp(Timestamp::from_milliseconds(event.enqueued_time_ms)),
        );
    if let Some(key) = event.partition_key {
        annotations = annotations.insert("x-opt-partition-key", Value::String(key));
    }
    let message = Message::builder()
        .message_annotations(annotations.build())
        .data(Binary::from(event.body))
        .build();
    Sendable::builder().message(message).settled(true).build()
}

/// The first index whose event matches an Event Hubs selector such as
/// `amqp.annotation.x-opt-sequence-number >='5'`; no selector means the start of the partition.
fn start_index(
    events: &[StoredEvent],
    selector: Option<&str>,
) -> Result<usize, definitions::Error> {
    let Some(expression) = selector else {
        return Ok(0);
    };
    let unsupported = || {
        definitions::Error::new(
            AmqpError::InvalidField,
            format!("unsupported selector '{expression}'"),
            None,
        )
    };
    let (field, rest) = [
        "x-opt-offset",
        "x-opt-sequence-number",
        "x-opt-enqueued-time",
    ]
    .into_iter()
    .find_map(|f| Some((f, expression.split_once(f)?.1.trim_start())))
    .ok_or_else(unsupported)?;
    let (inclusive, value) = match rest.strip_prefix(">=") {
        Some(value) => (true, value),
        None => (false, rest.strip_prefix('>').ok_or_else(unsupported)?),
    };
    let value = value.trim().trim_matches('\'');
    if field == "x-opt-offset" && value == "@latest" {
        return Ok(events.len());
    }
    let bound: i64 = value.parse().map_err(|_| unsupported())?;
    let key = |e: &StoredEvent| match field {
        "x-opt-offset" => e.offset.parse::<i64>().unwrap_or(0),
        "x-opt-sequence-number" => e.sequence_number,
        _ => e.enqueued_time_ms,
    };
    let matches = |e: &StoredEvent| key(e) > bound || (inclusive && key(e) == bound);
    Ok(events.iter().position(matches).unwrap_or(events.len()))
}

fn selector(attach: &Attach) -> Option<String> {
    attach
        .source
        .as_ref()?
        .filter
        .as_ref()?
        .iter()
        .find_map(|(_, v)| match v {
            Value::Described(d) => match &d.value {
                Value::String(s) => Some(s.clone()),
                _ => None,
            },
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
}

fn epoch(attach: &Attach) -> Option<i64> {
    attach
        .properties
        .as_ref()?
        .iter()
        .find_map(|(k, v)| match v {
            Value::Long(e) if k.0 == "com.microsoft:epoch" => Some(*e),
            Value::Int(e) if k.0 == "com.microsoft:epoch" => Some(*e as i64),
            _ => None,
        })
}

/// Parses `amqps://{ns}/{hub}[/ConsumerGroups/{cg}][/Partitions/{p}]` loosely (the scheme and
/// host, or a bare namespace, may be missing) into (hub, consumer group, partition).
fn parse_entity(
    namespace: &str,
    address: &str,
) -> Option<(String, Option<String>, Option<String>)> {
    let path = match address.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => address.strip_prefix(namespace).unwrap_or(address),
    };
    let parts: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let is = |s: &String, word: &str| s.eq_ignore_ascii_case(word);
    match parts.as_slice() {
        [hub] => Some((hub.clone(), None, None)),
        [hub, p, id] if is(p, "Partitions") => Some((hub.clone(), None, Some(id.clone()))),
        [hub, c, cg, p, id] if is(c, "ConsumerGroups") && is(p, "Partitions") => {
            Some((hub.clone(), Some(cg.clone()), Some(id.clone())))
        }
        _ => None,
    }
}

fn app_property(message: &Message<Body<Value>>, key: &str) -> Option<String> {
    match message.application_properties.as_ref()?.0.get(key)? {
        SimpleValue::String(s) => Some(s.clone()),
        SimpleValue::Symbol(s) => Some(s.0.clone()),
        _ => None,
    }
}

fn amqp_map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::String(k.to_string()), v))
            .collect(),
    )
}

fn not_found(what: String) -> definitions::Error {
    definitions::Error::new(AmqpError::NotFound, format!("{what} not found"), None)
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ *b as u32).wrapping_mul(0x0100_0193)
    })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
