//! Which client a request is from behind a reverse proxy: the proxies
//! whose `X-Forwarded-For` is believed (`--trusted-proxy`), so the abuse
//! limits and the sign-in lockout count clients, not the proxy.

use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`):
/// addresses or CIDR ranges.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse(items: &[String]) -> anyhow::Result<Self> {
        let mut ranges = Vec::new();
        for item in items
            .iter()
            .flat_map(|i| i.split(','))
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (address, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let address: IpAddr = address.parse().map_err(|_| {
                anyhow::anyhow!("--trusted-proxy: {item:?} is not an address or range")
            })?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let bits =
                match bits {
                    Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                        anyhow::anyhow!("--trusted-proxy: bad prefix in {item:?}")
                    })?,
                    None => max,
                };
            ranges.push((address, bits));
        }
        Ok(Self(ranges))
    }

    fn contains(&self, address: IpAddr) -> bool {
        self.0
            .iter()
            .any(|(net, bits)| in_range(address, *net, *bits))
    }

    /// The client's address: the TCP peer, unless the peer is a trusted
    /// proxy, then the right-most address in `X-Forwarded-For` that is not
    /// one (what the first untrusted hop saw).
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = forwarded_for
            .unwrap_or("")
            .split(',')
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        hops.iter()
            .rev()
            .copied()
            .find(|hop| !self.contains(*hop))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer)
    }
}

fn in_range(address: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (address, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            proxies.client(proxy, Some("198.51.100.7, 10.0.0.2")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(proxies.client(stranger, Some("198.51.100.7")), stranger);
        assert_eq!(proxies.client(proxy, Some("garbage")), proxy);
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["example.com".into()]).is_err());
        assert_eq!(
            TrustedProxies::parse(&[])
                .unwrap()
                .client(proxy, Some("1.2.3.4")),
            proxy
        );
    }
}
