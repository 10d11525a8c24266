//! Entra ID credentials from the config's `auth` tables, shared by the Event Hubs source and the
//! Log Analytics destination. Secrets come from the environment variables the config names and
//! never reach a message.

use std::sync::Arc;

use anyhow::{Context, Result};
use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential,
};

use crate::config::AuthConfig;

/// An Entra ID credential for the non-SAS methods.
pub fn credential(auth: &AuthConfig, field: &str) -> Result<Arc<dyn TokenCredential>> {
    Ok(match auth {
        AuthConfig::ClientSecret {
            tenant_id,
            client_id,
            secret_env,
        } => {
            let secret = std::env::var(secret_env)
                .with_context(|| format!("{secret_env} is not set"))?;
            azure_identity::ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                Secret::new(secret),
                None,
            )
            .with_context(|| format!("{field}: client secret credential"))?
        }
        AuthConfig::ManagedIdentity { client_id } => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                ..Default::default()
            };
            ManagedIdentityCredential::new(Some(options))
                .with_context(|| format!("{field}: managed identity"))?
        }
        AuthConfig::WorkloadIdentity => WorkloadIdentityCredential::new(None)
            .with_context(|| format!("{field}: workload identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE)"))?,
        AuthConfig::AzureCli => {
            AzureCliCredential::new(None).with_context(|| format!("{field}: Azure CLI"))?
        }
        AuthConfig::ConnectionString { .. } | AuthConfig::Sas { .. } => {
            anyhow::bail!("{field}: connection strings and SAS tokens carry no Entra ID credential")
        }
    })
}
