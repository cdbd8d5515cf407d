//! Private networks for a benchmark and its ingester.

use anyhow::{Context, Result};
use bollard::models::{
    EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};

use super::DockerHost;

impl DockerHost {
    /// Creates a labelled bridge network. It is internal: containers on it reach each
    /// other and nothing outside, so benchmark traffic stays on the project's network.
    pub async fn create_network(&self, suffix: &str) -> Result<String> {
        self.create_bridge(suffix, true, "network").await
    }

    /// Creates one ingester's own network, for its control port, and returns its name and
    /// subnet. Nothing else is ever attached to it. It is not internal, since Docker
    /// publishes a port (here on 127.0.0.1) only from a network that is not.
    pub async fn create_control_network(&self, suffix: &str) -> Result<(String, String)> {
        let name = self.create_bridge(suffix, false, "control-network").await?;
        let inspected = self
            .api
            .inspect_network(&name, None)
            .await
            .with_context(|| format!("cannot inspect network {name}"))?;
        let subnet = inspected
            .ipam
            .and_then(|ipam| ipam.config)
            .into_iter()
            .flatten()
            .find_map(|config| config.subnet)
            .with_context(|| format!("Docker gave network {name} no subnet"))?;
        Ok((name, subnet))
    }

    async fn create_bridge(&self, suffix: &str, internal: bool, role: &str) -> Result<String> {
        let name = format!("{}-{suffix}", self.labels.name_prefix());
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".to_string()),
            internal: Some(internal),
            labels: Some(self.labels.with_role(role)),
            ..Default::default()
        };
        self.api
            .create_network(request)
            .await
            .with_context(|| format!("cannot create network {name}"))?;
        Ok(name)
    }

    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        aliases: &[String],
    ) -> Result<()> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!aliases.is_empty()).then(|| aliases.to_vec()),
                ..Default::default()
            }),
        };
        self.api
            .connect_network(network, request)
            .await
            .with_context(|| format!("cannot connect container to network {network}"))
    }

    pub async fn disconnect_network(&self, network: &str, container: &str) -> Result<()> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(true),
        };
        self.api
            .disconnect_network(network, request)
            .await
            .with_context(|| format!("cannot disconnect container from network {network}"))
    }

    pub async fn remove_network(&self, network: &str) -> Result<()> {
        super::ignore_not_found(self.api.remove_network(network).await)
            .with_context(|| format!("cannot remove network {network}"))
    }
}
