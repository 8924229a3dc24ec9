//! containerd's per-registry `hosts.toml` (containerd `docs/hosts.md`): one directory per
//! registry host namespace under `certs.d`, named `HOST:PORT` on Unix.

use super::address::{MirrorUrl, RegistryAddr};
use super::OWNER_MARKER;

/// Where containerd looks for host namespaces (`config_path` in its CRI registry section).
pub const CERTS_D: &str = "/etc/containerd/certs.d";
/// containerd's own config, read only to tell the user whether `config_path` is set.
pub const CONFIG_TOML: &str = "/etc/containerd/config.toml";

/// The `hosts.toml` for `addr`: plain HTTP (`http://` server and host, `skip_verify` as in
/// containerd's own example) or TLS trusting the CA at `ca_path` (an absolute path on the target
/// system). The address was validated, so it needs no TOML escaping.
#[must_use]
pub fn hosts_toml(addr: &RegistryAddr, ca_path: Option<&str>) -> String {
    let scheme = if ca_path.is_some() { "https" } else { "http" };
    let trust = match ca_path {
        Some(path) => format!("  ca = \"{path}\"\n"),
        None => "  skip_verify = true\n".to_owned(),
    };
    format!(
        "{OWNER_MARKER} for {addr}; `regctl client-setup --remove {addr}` deletes it.\n\
         server = \"{scheme}://{addr}\"\n\
         \n\
         [host.\"{scheme}://{addr}\"]\n  \
         capabilities = [\"pull\", \"resolve\", \"push\"]\n\
         {trust}"
    )
}

/// Docker Hub's registry host, the `server` pulls of `docker.io/...` fall back to.
pub const DOCKER_HUB_SERVER: &str = "https://registry-1.docker.io";

/// `certs.d/REGISTRY/hosts.toml` with `mirrors` of `registry` as hosts, tried in order before the
/// registry itself, each only for `pull` and `resolve` (pushes still go to the registry). A
/// mirror with a namespace is the API root `URL/v2/REGISTRY` (`override_path`, so containerd asks
/// for `/v2/ghcr.io/owner/image/...`, regctl's `proxy.upstreams` prefix); an `https://` mirror
/// trusts the CA at `ca_path(mirror)` when one is installed.
#[must_use]
pub fn mirror_hosts_toml(
    registry: &str,
    mirrors: &[&MirrorUrl],
    ca_path: impl Fn(&MirrorUrl) -> Option<String>,
) -> String {
    let server = if registry == super::address::DOCKER_HUB {
        DOCKER_HUB_SERVER.to_owned()
    } else {
        format!("https://{registry}")
    };
    let mut out = format!(
        "{OWNER_MARKER}: mirrors of {registry}; `regctl client-setup --remove --mirror URL` deletes it.\n\
         server = \"{server}\"\n"
    );
    for mirror in mirrors {
        match &mirror.namespace {
            None => out.push_str(&format!("\n[host.\"{mirror}\"]\n")),
            Some(namespace) => out.push_str(&format!(
                "\n[host.\"{}://{}/v2/{namespace}\"]\n  override_path = true\n",
                mirror.scheme(),
                mirror.addr
            )),
        }
        out.push_str("  capabilities = [\"pull\", \"resolve\"]\n");
        if let Some(ca) = mirror.tls.then(|| ca_path(mirror)).flatten() {
            out.push_str(&format!("  ca = \"{ca}\"\n"));
        }
    }
    out
}

/// Whether containerd's config points its registry `config_path` at [`CERTS_D`]; without that,
/// containerd's CRI never reads the hosts.toml files. A line-level check: regctl does not edit
/// containerd's config, it only decides what to tell the user.
#[must_use]
pub fn config_path_includes_certs_d(config_toml: &str) -> bool {
    config_toml.lines().any(|line| {
        let line = line.trim_start();
        !line.starts_with('#')
            && line
                .split_once('=')
                .is_some_and(|(key, value)| key.trim() == "config_path" && value.contains(CERTS_D))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_host() {
        let addr: RegistryAddr = "10.0.0.5:5000".parse().unwrap();
        let toml = hosts_toml(&addr, None);
        assert!(
            toml.contains("server = \"http://10.0.0.5:5000\"\n"),
            "{toml}"
        );
        assert!(toml.contains("[host.\"http://10.0.0.5:5000\"]\n"), "{toml}");
        assert!(
            toml.contains("  capabilities = [\"pull\", \"resolve\", \"push\"]\n"),
            "{toml}"
        );
        assert!(toml.contains("  skip_verify = true\n"), "{toml}");
        assert!(toml.starts_with(OWNER_MARKER));
    }

    #[test]
    fn tls_host_trusts_the_ca() {
        let addr: RegistryAddr = "reg.example:443".parse().unwrap();
        let toml = hosts_toml(
            &addr,
            Some("/etc/containerd/certs.d/reg.example:443/ca.crt"),
        );
        assert!(
            toml.contains("server = \"https://reg.example:443\"\n"),
            "{toml}"
        );
        assert!(
            toml.contains("[host.\"https://reg.example:443\"]\n"),
            "{toml}"
        );
        assert!(
            toml.contains("  ca = \"/etc/containerd/certs.d/reg.example:443/ca.crt\"\n"),
            "{toml}"
        );
        assert!(!toml.contains("skip_verify"), "{toml}");
    }

    #[test]
    fn detects_config_path() {
        assert!(config_path_includes_certs_d(
            "[plugins.\"io.containerd.grpc.v1.cri\".registry]\n   config_path = \"/etc/containerd/certs.d\"\n"
        ));
        assert!(config_path_includes_certs_d(
            "config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'"
        ));
        assert!(!config_path_includes_certs_d("config_path = \"\"\n"));
        assert!(!config_path_includes_certs_d(
            "# config_path = \"/etc/containerd/certs.d\"\n"
        ));
    }

    #[test]
    fn docker_hub_mirrors_in_order_pull_and_resolve_only() {
        let plain: MirrorUrl = "http://127.0.0.1:5000".parse().unwrap();
        let tls: MirrorUrl = "https://m.lan:443".parse().unwrap();
        let toml = mirror_hosts_toml("docker.io", &[&plain, &tls], |m| {
            Some(format!("/ca/{}", m.addr))
        });
        assert!(toml.starts_with(OWNER_MARKER), "{toml}");
        assert!(
            toml.contains(
                "server = \"https://registry-1.docker.io\"\n\n\
                 [host.\"http://127.0.0.1:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n\
                 [host.\"https://m.lan:443\"]\n  capabilities = [\"pull\", \"resolve\"]\n  \
                 ca = \"/ca/m.lan:443\"\n"
            ),
            "{toml}"
        );
    }

    #[test]
    fn a_namespaced_mirror_is_an_api_root_with_override_path() {
        let mirror: MirrorUrl = "http://127.0.0.1:5000/ghcr.io".parse().unwrap();
        let toml = mirror_hosts_toml("ghcr.io", &[&mirror], |_| None);
        assert!(
            toml.contains(
                "server = \"https://ghcr.io\"\n\n\
                 [host.\"http://127.0.0.1:5000/v2/ghcr.io\"]\n  override_path = true\n  \
                 capabilities = [\"pull\", \"resolve\"]\n"
            ),
            "{toml}"
        );
    }
}
