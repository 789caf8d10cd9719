//! Which addresses Gatehouse's own requests may reach. A URL someone else chose must not turn
//! Gatehouse into a proxy into the network it runs in: loopback, private and link-local ranges
//! (cloud metadata lives there), carrier-grade NAT, reserved, benchmarking and documentation
//! ranges, multicast, and the IPv6 forms that lead back into IPv4 (mapped, 6to4, NAT64).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether no outbound request may reach `ip` (unless the operator allows private addresses
/// or names the host).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => v6_forbidden(v6),
    }
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // 0.0.0.0/8 "this network", unspecified included (RFC 791)
        || ip.is_loopback() // 127.0.0.0/8
        || ip.is_private() // 10/8, 172.16/12, 192.168/16 (RFC 1918)
        || ip.is_link_local() // 169.254/16, where cloud metadata answers
        || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10 carrier-grade NAT (RFC 6598)
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24 IETF protocol assignments (RFC 6890)
        || (a == 192 && b == 0 && c == 2) // 192.0.2.0/24 TEST-NET-1 (RFC 5737)
        || (a == 198 && b == 51 && c == 100) // 198.51.100.0/24 TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // 203.0.113.0/24 TEST-NET-3
        || (a == 192 && b == 88 && c == 99) // 192.88.99.0/24 6to4 relay anycast (RFC 7526)
        || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15 benchmarking (RFC 2544)
        || a >= 224 // 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast
}

fn v6_forbidden(ip: Ipv6Addr) -> bool {
    // An address that carries an IPv4 destination is judged by that destination.
    if let Some(v4) = embedded_v4(ip) {
        return v4_forbidden(v4);
    }
    let s = ip.segments();
    s[..6] == [0; 6] // ::/96: unspecified, loopback, deprecated IPv4-compatible
        || ip.is_multicast() // ff00::/8
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local (RFC 4193)
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10 site-local (deprecated, RFC 3879)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]) // 64:ff9b::/96 NAT64 (RFC 6052)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // 64:ff9b:1::/48 local NAT64 (RFC 8215)
        || (s[0] == 0x2001 && s[1] == 0) // 2001::/32 Teredo, a tunnel into IPv4
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32 documentation
        || (s[0] & 0xfff0) == 0x3ff0 // 3fff::/20 documentation (RFC 9637)
        || s[..4] == [0x0100, 0, 0, 0] // 100::/64 discard-only (RFC 6666)
}

/// The IPv4 address an IPv6 one leads to: IPv4-mapped `::ffff:0:0/96` and 6to4 `2002::/16`
/// (the 32 bits after the prefix).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    (s[0] == 0x2002).then(|| Ipv4Addr::from_bits((u32::from(s[1]) << 16) | u32::from(s[2])))
}

/// Which names may lead where: the operator's exceptions to [`is_forbidden`].
#[derive(Debug, Clone, Default)]
pub struct AddressRule {
    /// Every address is allowed (labs and tests).
    pub allow_private: bool,
    /// Host names (lower case, no trailing dot) allowed to resolve to forbidden addresses:
    /// self-hosted IdP metadata and logout endpoints on a private network.
    pub allow_hosts: Vec<String>,
}

/// Why a host's addresses were refused; logged, never shown to callers.
#[derive(Debug)]
pub struct Refused {
    pub host: String,
    pub address: IpAddr,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to {}, a forbidden address", self.host, self.address)
    }
}

impl std::error::Error for Refused {}

impl AddressRule {
    /// Whether the operator named `host` as one that may resolve anywhere.
    pub fn is_allowed_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.allow_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Checks EVERY address `host` resolved to: one forbidden address refuses the name, so a
    /// record set mixing a public and a private address cannot be raced to the private one.
    pub fn admit(&self, host: &str, ips: &[IpAddr]) -> Result<(), Refused> {
        if self.allow_private || self.is_allowed_host(host) {
            return Ok(());
        }
        match ips.iter().find(|ip| is_forbidden(**ip)) {
            Some(ip) => Err(Refused {
                host: host.to_owned(),
                address: *ip,
            }),
            None => Ok(()),
        }
    }

    /// Whether a URL may name `ip` directly (an IP-literal host never resolves, so this is
    /// the only check it gets).
    pub fn admits_literal(&self, ip: IpAddr) -> bool {
        self.allow_private || !is_forbidden(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_cgnat_and_reserved_ipv4_ranges_are_forbidden() {
        for bad in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(forbidden(bad), "{bad}");
        }
    }

    #[test]
    fn public_ipv4_addresses_next_to_the_forbidden_ranges_are_allowed() {
        for ok in [
            "8.8.8.8",
            "93.184.216.34",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert!(!forbidden(ok), "{ok}");
        }
    }

    #[test]
    fn ipv6_local_documentation_and_tunnel_ranges_are_forbidden() {
        for bad in [
            "::",
            "::1",
            "::7f00:1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "64:ff9b::8.8.8.8",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "100::1",
        ] {
            assert!(forbidden(bad), "{bad}");
        }
        for ok in ["2606:4700::1111", "2a00:1450:4001::200e", "2001:4860::8888"] {
            assert!(!forbidden(ok), "{ok}");
        }
    }

    #[test]
    fn mapped_and_6to4_addresses_are_judged_by_the_ipv4_they_carry() {
        for bad in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::",
            "2002:c0a8:101::1",
        ] {
            assert!(forbidden(bad), "{bad}");
        }
        for ok in ["::ffff:8.8.8.8", "2002:808:808::1"] {
            assert!(!forbidden(ok), "{ok}");
        }
    }

    #[test]
    fn one_forbidden_address_among_public_ones_refuses_the_name() {
        let rule = AddressRule::default();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.0.0.5".parse().unwrap();
        assert!(rule.admit("www.acme.example", &[public]).is_ok());
        let err = rule.admit("www.acme.example", &[public, private]).unwrap_err();
        assert_eq!(err.address, private);
        assert!(rule.admit("www.acme.example", &[private, public]).is_err());
    }

    #[test]
    fn named_hosts_may_resolve_to_private_addresses_and_no_other_name_may() {
        let rule = AddressRule {
            allow_private: false,
            allow_hosts: vec!["idp.corp.internal".into()],
        };
        let private: IpAddr = "10.0.0.5".parse().unwrap();
        assert!(rule.admit("idp.corp.internal", &[private]).is_ok());
        assert!(rule.admit("IDP.corp.internal.", &[private]).is_ok());
        assert!(rule.admit("other.corp.internal", &[private]).is_err());
        assert!(rule.admit("x.idp.corp.internal", &[private]).is_err());
        assert!(!rule.admits_literal(private), "a named host is not an address");
    }
}
