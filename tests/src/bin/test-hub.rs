//! `test-hub`: the tests' in-memory Event Hubs broker as a program, so load tests and demos have
//! a hub without Azure. It is the same strict double the end-to-end tests use (AMQP 1.0 on plain
//! TCP, SASL ANONYMOUS, `$cbs` put-token, `$management` READ, partition consumers and producers;
//! shared/reference/eventhubs.md §3.3); events live in memory until it stops.
//!
//! ```sh
//! cargo run -p aad-tests --bin test-hub -- --listen 127.0.0.1:5672 --hub entra:8
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use aad_tests::broker::Broker;
use anyhow::{bail, Context, Result};
use clap::Parser;

/// The key the connection strings carry. The hub checks that a token is presented, not what it
/// is signed with, like the Event Hubs emulator (whose documented key is `SAS_KEY_VALUE`).
const SAS_KEY: &str = "SAS_KEY_VALUE";
const SAS_KEY_NAME: &str = "RootManageSharedAccessKey";

#[derive(Parser, Debug)]
#[command(
    about = "An in-memory Event Hubs endpoint (AMQP 1.0, plain TCP) for load tests and demos"
)]
struct Args {
    /// Address to listen on; port 5672 is where the Python SDK's emulator mode connects.
    #[arg(long, default_value = "127.0.0.1:5672")]
    listen: SocketAddr,
    /// An event hub as NAME:PARTITIONS; repeat for several.
    #[arg(long = "hub", value_name = "NAME:PARTITIONS", default_values = ["entra:4"])]
    hubs: Vec<String>,
    /// The namespace clients name: it becomes the AMQP host name and the first part of checkpoint
    /// blob names. `localhost` is what an emulator connection string gives every SDK.
    #[arg(long, default_value = "localhost")]
    namespace: String,
    /// Print the events each hub holds every N seconds (0: never).
    #[arg(long, default_value_t = 10)]
    status_secs: u64,
}

fn parse_hub(spec: &str) -> Result<(String, u32)> {
    let (name, n) = spec
        .split_once(':')
        .with_context(|| format!("--hub {spec:?}: expected NAME:PARTITIONS, e.g. entra:8"))?;
    let n: u32 = n
        .parse()
        .with_context(|| format!("--hub {spec:?}: {n:?} is not a partition count"))?;
    if name.is_empty() || !(1..=1024).contains(&n) {
        bail!("--hub {spec:?}: a name and 1 to 1024 partitions are needed");
    }
    Ok((name.to_string(), n))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let hubs = args
        .hubs
        .iter()
        .map(|h| parse_hub(h))
        .collect::<Result<Vec<_>>>()?;
    let specs: Vec<(&str, u32)> = hubs.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let broker = Broker::start_on(args.listen, &args.namespace, &specs)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!("{}", connect_help(&broker, &hubs));
    loop {
        if args.status_secs == 0 {
            std::thread::park();
            continue;
        }
        std::thread::sleep(Duration::from_secs(args.status_secs));
        let status: Vec<String> = hubs
            .iter()
            .map(|(hub, _)| {
                let counts = broker.stored(hub);
                let total: u64 = counts.iter().sum();
                format!("{hub} {total} events {counts:?}")
            })
            .collect();
        eprintln!("test-hub: {}", status.join("; "));
    }
}

/// What a user needs to connect `aad-ingest run` and other clients.
fn connect_help(broker: &Broker, hubs: &[(String, u32)]) -> String {
    let namespace = broker.namespace();
    let endpoint = broker.endpoint();
    let port = broker.listen_address().port();
    let (hub, _) = &hubs[0];
    let listed: Vec<String> = hubs
        .iter()
        .map(|(h, n)| format!("{h} ({n} partitions)"))
        .collect();
    let connection = format!(
        "Endpoint=sb://{namespace}/;SharedAccessKeyName={SAS_KEY_NAME};SharedAccessKey={SAS_KEY};UseDevelopmentEmulator=true;EntityPath={hub}"
    );
    let python_endpoint = if port == 5672 {
        String::new()
    } else {
        format!(
            ", custom_endpoint_address=\"sb://{}\", transport_type=TransportType.Amqp",
            broker.listen_address()
        )
    };
    format!(
        "test-hub: Event Hubs double listening on {endpoint} (plain AMQP, no TLS), namespace {namespace}\n\
         hubs: {hubs}\n\
         \n\
         aad-ingest run: in the config,\n\
         \x20 [source.eventhubs]\n\
         \x20 hub = \"{hub}\"\n\
         \x20 endpoint = \"{endpoint}\"\n\
         \x20 auth = {{ method = \"connection_string\", env = \"EVENTHUB_CONNECTION_STRING\" }}\n\
         and in the environment,\n\
         \x20 export EVENTHUB_CONNECTION_STRING='{connection}'\n\
         \n\
         Python azure-eventhub (UseDevelopmentEmulator=true turns TLS off):\n\
         \x20 EventHubProducerClient.from_connection_string('{connection}'{python_endpoint})\n\
         Events are kept in memory until this program stops (Ctrl-C).",
        hubs = listed.join(", "),
    )
}
