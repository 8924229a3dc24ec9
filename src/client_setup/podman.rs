//! A `registries.conf.d` drop-in for podman, buildah and skopeo (containers-registries.conf(5),
//! version 2 format, which drop-ins must use) and the CA location of containers-certs.d(5).

use super::address::{MirrorUrl, RegistryAddr};
use super::OWNER_MARKER;

/// Drop-ins are read in alphanumeric order; 50 leaves room on both sides.
pub const DROP_IN_DIR: &str = "/etc/containers/registries.conf.d";
/// Per-registry CA directories for the containers tools.
pub const CERTS_D: &str = "/etc/containers/certs.d";

/// `50-regctl-HOST_PORT.conf`: the drop-in's file name (only `.conf` files are read).
#[must_use]
pub fn drop_in_name(addr: &RegistryAddr) -> String {
    format!("50-regctl-{}.conf", addr.file_stem())
}

/// The drop-in for `addr`: `insecure = true` lets the tools use plain HTTP (and skip TLS
/// verification) for exactly this registry; with a CA it states TLS explicitly, so an older
/// insecure entry for the same location is overridden.
#[must_use]
pub fn drop_in(addr: &RegistryAddr, insecure: bool) -> String {
    format!(
        "{OWNER_MARKER} for {addr}; `regctl client-setup --remove {addr}` deletes it.\n\
         [[registry]]\n\
         location = \"{addr}\"\n\
         insecure = {insecure}\n"
    )
}

/// `50-regctl-mirror-REGISTRY.conf`: the drop-in that lists the mirrors of `registry` (one
/// file for all of them). The registry name was validated as a host name.
#[must_use]
pub fn mirror_drop_in_name(registry: &str) -> String {
    format!("50-regctl-mirror-{registry}.conf")
}

/// `registry` (e.g. `docker.io`) with `mirrors` tried in order before it; a mirror with a
/// namespace is the location `HOST:PORT/REGISTRY` (regctl's `proxy.upstreams` prefix); a
/// plain-HTTP mirror is `insecure` (only that mirror, not the registry).
#[must_use]
pub fn mirror_drop_in(registry: &str, mirrors: &[&MirrorUrl]) -> String {
    let mut out = format!(
        "{OWNER_MARKER}: mirrors of {registry}; `regctl client-setup --remove --mirror URL` deletes it.\n\
         [[registry]]\n\
         prefix = \"{registry}\"\n\
         location = \"{registry}\"\n"
    );
    for mirror in mirrors {
        let location = match &mirror.namespace {
            Some(namespace) => format!("{}/{namespace}", mirror.addr),
            None => mirror.addr.to_string(),
        };
        out.push_str(&format!(
            "\n[[registry.mirror]]\nlocation = \"{location}\"\ninsecure = {}\n",
            !mirror.tls
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_in_for_plain_http_and_tls() {
        let addr: RegistryAddr = "registry.lan:5000".parse().unwrap();
        assert_eq!(drop_in_name(&addr), "50-regctl-registry.lan_5000.conf");
        let plain = drop_in(&addr, true);
        assert!(
            plain.contains("[[registry]]\nlocation = \"registry.lan:5000\"\ninsecure = true\n"),
            "{plain}"
        );
        assert!(drop_in(&addr, false).contains("insecure = false\n"));
    }

    #[test]
    fn mirror_drop_in_lists_mirrors_in_order() {
        let plain: MirrorUrl = "http://127.0.0.1:5000".parse().unwrap();
        let tls: MirrorUrl = "https://m.lan:443".parse().unwrap();
        let prefixed: MirrorUrl = "http://127.0.0.1:5000/docker.io".parse().unwrap();
        assert!(mirror_drop_in("docker.io", &[&prefixed])
            .contains("location = \"127.0.0.1:5000/docker.io\"\ninsecure = true\n"));
        assert_eq!(
            mirror_drop_in_name("ghcr.io"),
            "50-regctl-mirror-ghcr.io.conf"
        );
        let text = mirror_drop_in("docker.io", &[&plain, &tls]);
        assert!(
            text.ends_with(
                "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n\
                 [[registry.mirror]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n\n\
                 [[registry.mirror]]\nlocation = \"m.lan:443\"\ninsecure = false\n"
            ),
            "{text}"
        );
    }
}
