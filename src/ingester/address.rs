//! Where the control port listens: a given address, or this host's own address inside a
//! given network. The second is how the ingester container keeps its control port off the
//! benchmark network: it binds only to its address on a network of its own.

use std::net::IpAddr;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use ipnet::IpNet;

/// `--control-bind`: an IP address, or a network (CIDR) holding one of this host's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlBind {
    Address(IpAddr),
    Within(IpNet),
}

impl FromStr for ControlBind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Ok(address) = text.parse() {
            return Ok(ControlBind::Address(address));
        }
        text.parse().map(ControlBind::Within).map_err(|_| {
            format!("`{text}` is neither an IP address nor a network such as 172.18.0.0/16")
        })
    }
}

impl ControlBind {
    /// The address to bind: the given one, or this host's address inside the network.
    pub fn resolve(self) -> Result<IpAddr> {
        match self {
            ControlBind::Address(address) => Ok(address),
            ControlBind::Within(network) => {
                let addresses = nix::ifaddrs::getifaddrs()
                    .context("cannot list this host's network addresses")?
                    .filter_map(|interface| interface.address)
                    .filter_map(|address| {
                        address
                            .as_sockaddr_in()
                            .map(|v4| IpAddr::V4(v4.ip()))
                            .or_else(|| address.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip())))
                    });
                first_within(network, addresses)
            }
        }
    }
}

fn first_within(network: IpNet, mut addresses: impl Iterator<Item = IpAddr>) -> Result<IpAddr> {
    match addresses.find(|address| network.contains(address)) {
        Some(address) => Ok(address),
        None => bail!(
            "no address of this host is inside {network}, so the control port has nowhere to listen"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_a_network_parses() {
        assert_eq!(
            "127.0.0.1".parse(),
            Ok(ControlBind::Address([127, 0, 0, 1].into()))
        );
        assert!(matches!(
            "172.18.0.0/16".parse(),
            Ok(ControlBind::Within(_))
        ));
        assert!("ingester".parse::<ControlBind>().is_err());
    }

    #[test]
    fn the_address_inside_the_network_is_chosen() {
        let network: IpNet = "172.18.0.0/16".parse().unwrap();
        let addresses = ["127.0.0.1", "10.0.3.2", "172.18.0.2"].map(|a| a.parse().unwrap());
        assert_eq!(
            first_within(network, addresses.into_iter()).unwrap(),
            "172.18.0.2".parse::<IpAddr>().unwrap()
        );
        assert!(first_within(network, addresses[..2].iter().copied()).is_err());
        // This host has a loopback address, found by listing its interfaces.
        let loopback = ControlBind::Within("127.0.0.0/8".parse().unwrap());
        assert!(loopback.resolve().unwrap().is_loopback());
    }
}
