//! Where webhooks may be delivered: by default only to public addresses, so a webhook cannot
//! make the node POST into the network it runs in (a cloud metadata service at
//! 169.254.169.254, an admin port on loopback, a database on 10.0.0.0/8, the node's own API).
//!
//! ```text
//!  registration: url ─► literal IP (any spelling the URL parser normalises: decimal, hex,
//!                       octal, IPv4-mapped IPv6) or `localhost` ─► refused class? 400
//!                      ─► a name: resolved now ─► any refused address? 400
//!  delivery:     url ─► literal IP checked ─► a name: resolved by [`Destinations`] as the
//!                       HTTP client's resolver, every address checked, and the client connects
//!                       to exactly the checked addresses (no second lookup to rebind)
//! ```
//!
//! `--webhook-allow-private` (node config `webhook_allow_private = true`) turns the refusal
//! off, for local development where the receiver runs beside the node.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// How long registration waits for a name to resolve before accepting it unchecked (it is
/// checked again, after resolution, at every delivery).
const REGISTRATION_LOOKUP: Duration = Duration::from_secs(3);

/// How an operator turns the refusal off, as every refusal says.
pub(crate) const ALLOW_HINT: &str = "webhooks are only delivered to public addresses: loopback, \
    private, link-local, shared, reserved and the node's own addresses are refused unless the \
    node runs with --webhook-allow-private (node config: webhook_allow_private = true)";

/// Why an address is not a public one, if it is not.
fn refused_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if ip.is_link_local() => "link-local",
        _ if ip.is_broadcast() => "broadcast",
        _ if ip.is_multicast() => "multicast",
        _ if ip.is_documentation() => "documentation",
        (0, _, _) => "reserved (this network)",
        (100, 64..=127, _) => "shared (carrier-grade NAT)",
        (192, 0, 0) => "reserved (IETF protocol assignments)",
        (198, 18..=19, _) => "reserved (benchmarking)",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    let embedded_v4 = || {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_class(v4);
    }
    Some(match segments {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_multicast() => "multicast",
        // ::a.b.c.d, the deprecated IPv4-compatible form.
        [0, 0, 0, 0, 0, 0, _, _] => "reserved (IPv4-compatible)",
        // NAT64 (RFC 6052) reaches the IPv4 address it embeds.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => return v4_class(embedded_v4()),
        [0x64, 0xff9b, 1, ..] => "private (local-use NAT64)",
        // 6to4 (RFC 3056) embeds an IPv4 address in bits 16..48.
        [0x2002, high, low, ..] => {
            let [a, b] = high.to_be_bytes();
            let [c, d] = low.to_be_bytes();
            return v4_class(Ipv4Addr::new(a, b, c, d));
        }
        [0x100, 0, 0, 0, ..] => "reserved (discard-only)",
        [0x2001, 0xdb8, ..] => "documentation",
        [first, ..] if first & 0xfe00 == 0xfc00 => "private (unique local)",
        [first, ..] if first & 0xffc0 == 0xfe80 => "link-local",
        [first, ..] if first & 0xffc0 == 0xfec0 => "private (site-local)",
        _ => return None,
    })
}

/// The class of an address assigned to this machine.
const OWN: &str = "own";

/// Whether `ip` is assigned to one of this machine's interfaces: the node's own addresses,
/// whatever its listeners bind.
fn is_own(ip: IpAddr) -> bool {
    if_addrs::get_if_addrs().is_ok_and(|interfaces| interfaces.iter().any(|i| i.ip() == ip))
}

/// A webhook destination that is refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The URL's host as written (a name, or an address).
    host: String,
    /// The address refused (the host itself, or what it resolved to).
    ip: IpAddr,
    /// The kind of address it is.
    class: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.class == OWN {
            "one of the node's own addresses".to_string()
        } else {
            let article =
                if self.class.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            format!("{article} {} address", self.class)
        };
        if self.host == self.ip.to_string() {
            write!(f, "{} is {what}", self.ip)
        } else {
            write!(f, "{} resolves to {}, {what}", self.host, self.ip)
        }
    }
}

impl std::error::Error for Refused {}

/// The destination rule, and the resolver that enforces it at delivery.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Destinations {
    /// Deliver anywhere (local development).
    pub(crate) allow_private: bool,
}

impl Destinations {
    /// Refuses `ip` unless private destinations are allowed.
    fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        if self.allow_private {
            return Ok(());
        }
        let class = refused_class(ip).or_else(|| is_own(ip).then_some(OWN));
        match class {
            Some(class) => Err(Refused { host: host.to_string(), ip, class }),
            None => Ok(()),
        }
    }

    /// Checks what can be checked without DNS: a literal address, or a `localhost` name.
    pub(crate) fn check_literal(&self, url: &Url) -> Result<(), Refused> {
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_ip(&ip.to_string(), ip.into()),
            Some(Host::Ipv6(ip)) => self.check_ip(&ip.to_string(), ip.into()),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name == "localhost" || name.ends_with(".localhost") {
                    // RFC 6761: always loopback, whatever a resolver says.
                    return self.check_ip(&name, Ipv4Addr::LOCALHOST.into());
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The registration check: the literal host, then (for a name) what it resolves to now.
    /// A name that does not resolve yet is accepted; every delivery checks it again.
    pub(crate) async fn check_registration(&self, url: &Url) -> Result<(), Refused> {
        self.check_literal(url)?;
        let Some(Host::Domain(name)) = url.host() else { return Ok(()) };
        if self.allow_private {
            return Ok(());
        }
        let lookup = tokio::net::lookup_host((name, 0));
        match tokio::time::timeout(REGISTRATION_LOOKUP, lookup).await {
            Ok(Ok(addresses)) => self.check_resolved(name, &addresses.collect::<Vec<_>>()),
            _ => Ok(()),
        }
    }

    /// Refuses `name` if any address it resolved to is refused: a name that answers with a
    /// public and a private address could otherwise pick either when connecting.
    fn check_resolved(&self, name: &str, addresses: &[SocketAddr]) -> Result<(), Refused> {
        addresses.iter().try_for_each(|address| self.check_ip(name, address.ip()))
    }
}

/// The delivery client's resolver: the client connects only to addresses checked here.
impl Resolve for Destinations {
    fn resolve(&self, name: Name) -> Resolving {
        let destinations = *self;
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            destinations.check_resolved(&name, &addresses)?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<&'static str> {
        refused_class(text.parse().expect("an address"))
    }

    #[test]
    fn every_refused_class_is_named() {
        let refused = [
            ("0.0.0.0", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("100.127.255.254", "shared (carrier-grade NAT)"),
            ("0.1.2.3", "reserved (this network)"),
            ("192.0.0.8", "reserved (IETF protocol assignments)"),
            ("198.18.0.1", "reserved (benchmarking)"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("192.0.2.1", "documentation"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456::1", "private (unique local)"),
            ("fec0::1", "private (site-local)"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::127.0.0.1", "reserved (IPv4-compatible)"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b:1::1", "private (local-use NAT64)"),
            ("2002:7f00:1::1", "loopback"),
            ("2002:c0a8:101::1", "private"),
            ("100::1", "reserved (discard-only)"),
        ];
        for (ip, expected) in refused {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "100.63.255.255", "172.32.0.1", "2606:4700::1111"] {
            assert_eq!(class(public), None, "{public}");
        }
        assert_eq!(class("64:ff9b::808:808"), None, "NAT64 of a public address");
    }

    #[test]
    fn every_spelling_of_an_address_is_normalised_before_the_check() {
        let strict = Destinations { allow_private: false };
        let spellings = [
            ("http://2130706433/", "127.0.0.1"),
            ("http://0x7f000001/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://0/", "0.0.0.0"),
            ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1"),
            ("http://[::1]:8080/", "::1"),
            ("http://2852039166/latest/meta-data", "169.254.169.254"),
            ("http://localhost:8080/", "127.0.0.1"),
            ("http://LOCALHOST./", "127.0.0.1"),
            ("http://api.localhost/", "127.0.0.1"),
        ];
        for (text, ip) in spellings {
            let url = Url::parse(text).expect("a URL");
            let refused = strict.check_literal(&url).expect_err(text);
            assert_eq!(refused.ip.to_string(), ip.parse::<IpAddr>().expect("ip").to_string());
        }
        let open = Destinations { allow_private: true };
        assert_eq!(open.check_literal(&Url::parse("http://127.0.0.1/").expect("url")), Ok(()));
        let public = Url::parse("https://1.1.1.1/hook").expect("url");
        assert_eq!(strict.check_literal(&public), Ok(()));
    }

    #[test]
    fn refusals_say_what_the_address_is() {
        let refused =
            |host: &str, ip: [u8; 4], class| Refused { host: host.into(), ip: ip.into(), class };
        let literal = refused("127.0.0.1", [127, 0, 0, 1], "loopback");
        assert_eq!(literal.to_string(), "127.0.0.1 is a loopback address");
        let resolved = refused("intranet.example", [10, 0, 0, 5], "private");
        assert_eq!(
            resolved.to_string(),
            "intranet.example resolves to 10.0.0.5, a private address"
        );
        let vowel = refused("0.0.0.0", [0, 0, 0, 0], "unspecified");
        assert_eq!(vowel.to_string(), "0.0.0.0 is an unspecified address");
        let own = refused("203.0.113.7", [203, 0, 113, 7], OWN);
        assert_eq!(own.to_string(), "203.0.113.7 is one of the node's own addresses");
    }

    #[test]
    fn the_machines_own_addresses_are_refused() {
        let strict = Destinations { allow_private: false };
        let interfaces = if_addrs::get_if_addrs().expect("interfaces");
        assert!(!interfaces.is_empty());
        for interface in interfaces {
            let ip = interface.ip();
            assert!(strict.check_ip(&ip.to_string(), ip).is_err(), "{ip} is this machine's");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_to_refused_addresses() {
        let name = |text: &str| text.parse::<Name>().expect("a name");
        let strict = Destinations { allow_private: false };
        let refused = match strict.resolve(name("localhost")).await {
            Ok(addresses) => panic!("resolved to {:?}", addresses.collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        assert!(refused.starts_with("localhost resolves to "), "{refused}");
        assert!(refused.ends_with("a loopback address"), "{refused}");
        let open = Destinations { allow_private: true };
        let resolved: Vec<_> = open.resolve(name("localhost")).await.expect("allowed").collect();
        assert!(!resolved.is_empty() && resolved.iter().all(|a| a.ip().is_loopback()));
        let url = Url::parse("http://localhost./").expect("url");
        assert!(strict.check_registration(&url).await.is_err());
    }
}
