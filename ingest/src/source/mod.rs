//! Sources: where raw message bytes come from, with their position.

pub mod archive;
pub mod capture;
pub mod eventhubs;
pub mod files;

/// Every object under an input location (its prefix), for the sources that pick objects by
/// their names (Capture, archives).
pub async fn list_objects(
    location: &crate::store::Location,
) -> anyhow::Result<Vec<object_store::ObjectMeta>> {
    use anyhow::Context;
    use futures::TryStreamExt;
    let prefix = (!location.prefix.as_ref().is_empty()).then_some(&location.prefix);
    location
        .store
        .list(prefix)
        .try_collect()
        .await
        .with_context(|| format!("listing {}", location.display))
}
