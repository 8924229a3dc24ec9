//! The systemd unit `regctl init --systemd` writes: a hardened service running `regctl serve`.

use std::path::{Path, PathBuf};

use super::{InitError, SYSTEMD_UNIT_FILE};

/// What the systemd unit runs and may write.
#[derive(Debug, Clone)]
pub struct UnitSpec<'a> {
    pub exe: &'a Path,
    pub config: &'a Path,
    /// Directories the service writes (storage; certs for ACME); everything else is read-only.
    pub writable: &'a [PathBuf],
    pub port: u16,
    /// uid and gid to run as; `None` or uid 0 runs as root.
    pub owner: Option<(u32, u32)>,
}

/// A hardened systemd service running `regctl serve -c CONFIG`.
///
/// # Errors
/// [`InitError::UnitPath`] when a path cannot be expressed in a unit file (not UTF-8, a newline).
pub fn systemd_unit(spec: &UnitSpec<'_>) -> Result<String, InitError> {
    let exe = unit_word(spec.exe)?;
    let config = unit_word(spec.config)?;
    let writable = spec
        .writable
        .iter()
        .map(|p| unit_word(p))
        .collect::<Result<Vec<_>, _>>()?
        .join(" ");
    let privileged_port = spec.port < 1024;
    let user = match spec.owner {
        Some((uid, gid)) if uid != 0 => format!(
            "# The user and group that ran `regctl init` and own its files.\nUser={uid}\nGroup={gid}\n"
        ),
        _ => "# Runs as root because `regctl init` ran as root. Better: a dedicated user, e.g.\n\
              #   useradd --system --no-create-home regctl && chown -R regctl: <the registry directory>\n\
              # and then: User=regctl\n"
            .to_owned(),
    };
    let capabilities = if privileged_port {
        "# Binding a port below 1024 needs this one capability and no other.\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
    } else {
        "CapabilityBoundingSet=\n"
    };
    Ok(format!(
        "\
# Written by regctl init. Install with:
#   sudo cp {unit_name} /etc/systemd/system/ && sudo systemctl daemon-reload
#   sudo systemctl enable --now regctl
[Unit]
Description=regctl container registry
Documentation=man:regctl-serve(1)
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
ExecStart={exe} serve -c {config}
# SIGHUP reloads certificates without dropping connections.
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
{user}
# Hardening: the registry needs the network, read access to its config, users and certificates,
# and write access to its storage only.
NoNewPrivileges=yes
{capabilities}ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={writable}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
UMask=0027
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
",
        unit_name = SYSTEMD_UNIT_FILE,
    ))
}

/// A path as one word of a unit file: quoted when needed, with systemd's specifiers (`%`) and
/// variable expansion (`$`) escaped.
pub(super) fn unit_word(path: &Path) -> Result<String, InitError> {
    let text = path.to_str().ok_or_else(|| InitError::UnitPath {
        path: path.to_owned(),
        reason: "it is not valid UTF-8",
    })?;
    if text.chars().any(char::is_control) {
        return Err(InitError::UnitPath {
            path: path.to_owned(),
            reason: "it contains a control character",
        });
    }
    let escaped = text
        .replace('%', "%%")
        .replace('$', "$$")
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    if escaped.contains([' ', '\'', '"', '\\', ';']) {
        Ok(format!("\"{escaped}\""))
    } else {
        Ok(escaped)
    }
}
