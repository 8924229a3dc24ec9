
use builtin;
use str;

set edit:completion:arg-completer[regctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'regctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'regctl'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand client-setup 'Configure docker (or containerd, podman) on this machine to use a registry'
            cand cert 'Create, obtain and inspect TLS certificates for the registry'
            cand config 'Generate, validate and show the registry config (distribution''s config.yml)'
            cand catalog 'List the repositories of a registry'
            cand tags 'List the tags of a repository with digest, media type and image size'
            cand manifest 'Show a manifest, or the one an index holds for a platform'
            cand delete 'Delete an image manifest by tag or digest, or only a tag'
            cand doctor 'Diagnose why docker login, push or pull to a registry fails from this machine'
            cand events 'Show the events (pushes, pulls, deletes, mounts) of a running server'
            cand login 'Check and store registry credentials in the docker config'
            cand logout 'Remove the stored credentials of a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand gc 'Delete blobs and manifests nothing needs, safely while the registry runs'
            cand fsck 'Check a store end to end; with --repair fix what is safe'
            cand prune 'Remove the tags the retention policies of the config expire'
            cand du 'Show how much storage each repository and tag uses'
            cand init 'Set up a registry: config.yml, users, certificates and storage in one directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand user 'Manage registry users in the htpasswd file'
            cand access 'Show the access policy and check what it allows'
            cand token 'Manage CI tokens: passwords limited to repositories and actions'
            cand serve 'Run the registry server (registry:2 compatible storage, config and environment)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;client-setup'= {
            cand --mirror 'A mirror to use (repeat for several, tried in order): http(s)://HOST:PORT mirrors Docker Hub (docker''s registry-mirrors; containerd and podman with --containerd, --podman); http(s)://HOST:PORT/REGISTRY mirrors REGISTRY under regctl''s proxy.upstreams prefix REGISTRY/ (containerd and podman only)'
            cand --ca-file 'The registry''s CA certificate (PEM): set up TLS with a private CA instead of plain HTTP'
            cand --root 'Apply every path under DIR instead of / (for tests and for preparing images)'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --containerd 'Also configure containerd (certs.d/HOST:PORT/hosts.toml)'
            cand --podman 'Also configure podman, buildah and skopeo (a registries.conf.d drop-in)'
            cand --no-docker 'Leave docker''s files alone (for hosts with only containerd or podman)'
            cand --remove 'Undo: drop HOST:PORT from insecure-registries (and each --mirror from registry-mirrors) and delete the files regctl wrote for them'
            cand --dry-run 'Print the diff of every file that would change and write nothing'
            cand --no-probe 'Do not probe HOST:PORT (or an http:// mirror) for TLS before listing it as insecure (e.g. the registry is not running yet)'
            cand --restart 'Restart the services that need it (`systemctl restart docker`) after writing'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;cert'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand self-signed 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it'
            cand acme 'Obtain a certificate from an ACME CA such as Let''s Encrypt'
            cand show 'Show subject, names, issuer and validity of a certificate'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;cert;self-signed'= {
            cand --host 'A DNS name or IP address clients use to reach the registry (repeat for each)'
            cand --dir 'Where to write the files [default: certs/ beside the config file]'
            cand --days 'Validity of the server certificate in days (the CA is valid for 10 years)'
            cand --port 'Registry port for the printed client-setup command [default: the port of http.addr, else 5000]'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --force 'Create a new CA even if DIR has one (every client must then trust the new ca.crt)'
            cand --update-config 'Point http.tls.certificate and http.tls.key of the config file at the new files'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;cert;acme'= {
            cand --host 'A DNS name (or IP address, if the CA issues for IPs) the certificate must cover (repeat for each)'
            cand --email 'Contact address for expiry and policy notices'
            cand --directory 'ACME directory URL [default: Let''s Encrypt production]'
            cand --ca-root 'Trust this PEM CA for the ACME server''s own HTTPS (a private ACME server such as pebble)'
            cand --dir 'Where to write server.crt, server.key and the account cache [default: certs/ beside the config file]'
            cand --challenge 'How to prove control of the hosts'
            cand --http-addr 'Address to answer HTTP-01 challenges on (`::` to answer over IPv6 too: Let''s Encrypt validates over IPv6 when the name has an AAAA record)'
            cand --http-port 'Port to answer HTTP-01 challenges on (the CA always connects to port 80)'
            cand --tls-addr 'Address to answer TLS-ALPN-01 challenges on (`::` for IPv6 too)'
            cand --tls-port 'Port to answer TLS-ALPN-01 challenges on (the CA always connects to port 443)'
            cand --renew-before 'Keep an existing certificate unless it expires within this long'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --staging 'Use Let''s Encrypt''s staging CA (untrusted certificates, for trying things out)'
            cand --force 'Obtain a new certificate even if the existing one is still good'
            cand --update-config 'Point http.tls.certificate and http.tls.key of the config file at the new files'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;cert;show'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;cert;help'= {
            cand self-signed 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it'
            cand acme 'Obtain a certificate from an ACME CA such as Let''s Encrypt'
            cand show 'Show subject, names, issuer and validity of a certificate'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;cert;help;self-signed'= {
        }
        &'regctl;cert;help;acme'= {
        }
        &'regctl;cert;help;show'= {
        }
        &'regctl;cert;help;help'= {
        }
        &'regctl;config'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand generate 'Write a commented config.yml that registry:2 and regctl both accept'
            cand validate 'Check a config and report every problem at once, each with its key path'
            cand show 'Print the effective config: the file after REGISTRY_* overrides and defaults'
            cand set 'Set one key of config.yml in place, keeping its comments and layout'
            cand unset 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;config;generate'= {
            cand --addr 'Address to listen on (http.addr); 0.0.0.0:PORT serves the network'
            cand --root 'Storage directory (storage.filesystem.rootdirectory)'
            cand --htpasswd 'Require basic authentication against this htpasswd file (auth.htpasswd.path)'
            cand --realm 'Realm clients show when asking for a password (auth.htpasswd.realm)'
            cand --tls-cert 'Serve HTTPS with this PEM certificate (http.tls.certificate)'
            cand --tls-key 'Private key of --tls-cert, PEM (http.tls.key)'
            cand --host 'URL or HOST[:PORT] clients reach the registry at (http.host)'
            cand --file 'Write to FILE instead of stdout'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --delete 'Allow deleting manifests and blobs (storage.delete.enabled)'
            cand --force 'Replace FILE if it exists'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;config;validate'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;config;show'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;config;set'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --dry-run 'Print the change as a unified diff and write nothing'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;config;unset'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --dry-run 'Print the change as a unified diff and write nothing'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;config;help'= {
            cand generate 'Write a commented config.yml that registry:2 and regctl both accept'
            cand validate 'Check a config and report every problem at once, each with its key path'
            cand show 'Print the effective config: the file after REGISTRY_* overrides and defaults'
            cand set 'Set one key of config.yml in place, keeping its comments and layout'
            cand unset 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;config;help;generate'= {
        }
        &'regctl;config;help;validate'= {
        }
        &'regctl;config;help;show'= {
        }
        &'regctl;config;help;set'= {
        }
        &'regctl;config;help;unset'= {
        }
        &'regctl;config;help;help'= {
        }
        &'regctl;catalog'= {
            cand --limit 'Stop after this many entries'
            cand -n 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --page-size 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --count-tags 'Also count the tags of each repository (one request per repository)'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;tags'= {
            cand --concurrency 'HEAD requests in flight at once when reading tag details'
            cand --limit 'Stop after this many entries'
            cand -n 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --page-size 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --names-only 'Only list tag names (skips one HEAD request per tag)'
            cand --details 'Also show when each image was created (reads each image config: one more request per distinct digest)'
            cand --wide 'Show full digests and media types (the table is then wider than 80 columns)'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;manifest'= {
            cand --platform 'For an index (multi-platform image), show the manifest of this os/arch[/variant]'
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --wide 'Show full digests and media types in the table (wider than 80 columns)'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;delete'= {
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --dry-run 'Show what would be deleted and stop'
            cand --tag-only 'Remove only the tag, keeping the manifest and its other tags'
            cand --wide 'Show the full digest in the result table'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;doctor'= {
            cand --repository 'The repository --write pushes to'
            cand --root 'Read every system path (daemon.json, certs.d, CA bundle) under DIR instead of /'
            cand --timeout 'Timeout of each connection attempt'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --write 'Also push a 1-byte test blob and a 2 MiB chunk (deleted again where the registry allows)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;events'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand tail 'Stream the events of a running server as they happen'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;events;tail'= {
            cand --addr 'The debug listener as HOST:PORT (default: http.debug.addr of the config)'
            cand --count 'Stop after N events'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;events;help'= {
            cand tail 'Stream the events of a running server as they happen'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;events;help;tail'= {
        }
        &'regctl;events;help;help'= {
        }
        &'regctl;login'= {
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;logout'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;completions'= {
            cand --dir 'Write the scripts for every shell into DIR instead of printing one'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;gc'= {
            cand --root 'Storage root (registry:2''s rootdirectory) instead of the config''s'
            cand --grace 'Keep anything changed more recently than this (e.g. 30m, 2h, 0s); a copied or restored store counts as changed'
            cand --uploads-older-than 'Remove uploads with no activity for this long (registry:2''s purge age)'
            cand --lock-timeout 'Longest wait for the registry''s pushes in progress before sweeping (then gc fails)'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -m 'Also delete manifests that no tag points to (keeps index children and referrers)'
            cand --delete-untagged 'Also delete manifests that no tag points to (keeps index children and referrers)'
            cand -d 'Show what would be deleted and how many bytes it frees; delete nothing'
            cand --dry-run 'Show what would be deleted and how many bytes it frees; delete nothing'
            cand --offline 'No server writes to the store during the run (registry:2''s read-only window); takes no lock'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;fsck'= {
            cand --root 'Storage root (registry:2''s rootdirectory) instead of the config''s'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --verify-content 'Also hash every blob and compare with its digest (reads all data)'
            cand --repair 'Fix what is safely fixable (never removes what a tag needs)'
            cand --offline 'No server writes to the store meanwhile: --repair takes no lock (S3 without conditional writes)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;prune'= {
            cand --root 'Storage root (registry:2''s rootdirectory) instead of the config''s'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -d 'Show what would be removed and the bytes it frees; remove nothing'
            cand --dry-run 'Show what would be removed and the bytes it frees; remove nothing'
            cand --wide 'Show the full digests'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;du'= {
            cand --root 'Storage root (registry:2''s rootdirectory) instead of the config''s'
            cand --top 'How many of the largest images to list'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --wide 'Show the full digests'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;init'= {
            cand --addr 'Address and port to listen on [default: 0.0.0.0:5000; 127.0.0.1:5000 for loopback hosts; port 443 with ACME]'
            cand --host 'Host name or IP clients use: put in the certificate and the printed commands (repeat for several; the first is the main one) [default: 127.0.0.1 with a loopback --addr, else this machine''s address]'
            cand --public-url 'Write http.host: the one URL every upload Location names. Only for a registry behind a proxy or NAT that rewrites addresses; without it Locations follow the address each client used'
            cand --tls 'TLS: a private CA, Let''s Encrypt, existing files, or plain HTTP [default: self-signed]'
            cand --tls-cert 'Certificate chain (PEM) for --tls files'
            cand --tls-key 'Private key (PEM) for --tls files'
            cand --email 'Contact e-mail for the Let''s Encrypt account (--tls acme)'
            cand --user 'First user of the htpasswd file [default: admin]'
            cand --delete 'Allow deleting images over the API (`--delete` or `--delete=false`) [default: false]'
            cand --storage 'Where the images are stored [default: DIR/data]'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --password-stdin 'Read the user''s password from the first line of stdin'
            cand --no-auth 'No authentication: anyone who can connect can push and pull'
            cand --systemd 'Also write DIR/regctl.service, a hardened systemd unit running `regctl serve`'
            cand --force 'Replace an existing DIR/config.yml (kept as a backup) and reset an existing user''s password'
            cand -y 'Accept the default for every question not answered by a flag'
            cand --yes 'Accept the default for every question not answered by a flag'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;man'= {
            cand --dir 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;user'= {
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
            cand --groups-file 'Group file (Apache AuthGroupFile) instead of the one the access policy names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
            cand list 'List users, their hash scheme and whether registry:2 accepts them'
            cand passwd 'Set a user''s password (no old password needed: whoever can write the file can change it)'
            cand remove 'Remove a user (every entry of that name)'
            cand verify 'Check a user''s password: exit 0 if it is correct, 1 if not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;user;add'= {
            cand --group 'Also add the user to this group of the access policy''s group file (repeatable)'
            cand --cost 'bcrypt cost: each step doubles the work of hashing and of every login'
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
            cand --groups-file 'Group file (Apache AuthGroupFile) instead of the one the access policy names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --password-stdin 'Read the password from the first line of stdin instead of prompting'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;user;list'= {
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
            cand --groups-file 'Group file (Apache AuthGroupFile) instead of the one the access policy names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;user;passwd'= {
            cand --cost 'bcrypt cost: each step doubles the work of hashing and of every login'
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
            cand --groups-file 'Group file (Apache AuthGroupFile) instead of the one the access policy names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --password-stdin 'Read the password from the first line of stdin instead of prompting'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;user;remove'= {
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
            cand --groups-file 'Group file (Apache AuthGroupFile) instead of the one the access policy names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;user;verify'= {
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
            cand --groups-file 'Group file (Apache AuthGroupFile) instead of the one the access policy names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --password-stdin 'Read the password from the first line of stdin instead of prompting'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;user;help'= {
            cand add 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
            cand list 'List users, their hash scheme and whether registry:2 accepts them'
            cand passwd 'Set a user''s password (no old password needed: whoever can write the file can change it)'
            cand remove 'Remove a user (every entry of that name)'
            cand verify 'Check a user''s password: exit 0 if it is correct, 1 if not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;user;help;add'= {
        }
        &'regctl;user;help;list'= {
        }
        &'regctl;user;help;passwd'= {
        }
        &'regctl;user;help;remove'= {
        }
        &'regctl;user;help;verify'= {
        }
        &'regctl;user;help;help'= {
        }
        &'regctl;access'= {
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the effective rules, in the order they are tried'
            cand check 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;access;show'= {
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;access;check'= {
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;access;help'= {
            cand show 'Print the effective rules, in the order they are tried'
            cand check 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;access;help;show'= {
        }
        &'regctl;access;help;check'= {
        }
        &'regctl;access;help;help'= {
        }
        &'regctl;token'= {
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a token and print it (the only time it is shown)'
            cand list 'List tokens (never their secrets)'
            cand revoke 'Revoke a token: it stops working within a second on a running server'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;token;create'= {
            cand --user 'The user the token logs in as (must be in the htpasswd file when used)'
            cand --repo 'Repository pattern the token may be used on (repeatable)'
            cand --actions 'Actions the token allows: pull, push, delete, comma-separated, or *'
            cand --expires 'Lifetime (90d, 12h, 1y) or never'
            cand --description 'What the token is for'
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;token;list'= {
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;token;revoke'= {
            cand --policy 'Policy file to use instead of the one the config names'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;token;help'= {
            cand create 'Create a token and print it (the only time it is shown)'
            cand list 'List tokens (never their secrets)'
            cand revoke 'Revoke a token: it stops working within a second on a running server'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;token;help;create'= {
        }
        &'regctl;token;help;list'= {
        }
        &'regctl;token;help;revoke'= {
        }
        &'regctl;token;help;help'= {
        }
        &'regctl;serve'= {
            cand --addr 'Listen on HOST:PORT (port 0 picks a free port); overrides http.addr'
            cand --root 'Store images under DIR; overrides storage.filesystem.rootdirectory'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --no-web 'Do not serve the web pages at / (it then answers 200, empty)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;help'= {
            cand client-setup 'Configure docker (or containerd, podman) on this machine to use a registry'
            cand cert 'Create, obtain and inspect TLS certificates for the registry'
            cand config 'Generate, validate and show the registry config (distribution''s config.yml)'
            cand catalog 'List the repositories of a registry'
            cand tags 'List the tags of a repository with digest, media type and image size'
            cand manifest 'Show a manifest, or the one an index holds for a platform'
            cand delete 'Delete an image manifest by tag or digest, or only a tag'
            cand doctor 'Diagnose why docker login, push or pull to a registry fails from this machine'
            cand events 'Show the events (pushes, pulls, deletes, mounts) of a running server'
            cand login 'Check and store registry credentials in the docker config'
            cand logout 'Remove the stored credentials of a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand gc 'Delete blobs and manifests nothing needs, safely while the registry runs'
            cand fsck 'Check a store end to end; with --repair fix what is safe'
            cand prune 'Remove the tags the retention policies of the config expire'
            cand du 'Show how much storage each repository and tag uses'
            cand init 'Set up a registry: config.yml, users, certificates and storage in one directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand user 'Manage registry users in the htpasswd file'
            cand access 'Show the access policy and check what it allows'
            cand token 'Manage CI tokens: passwords limited to repositories and actions'
            cand serve 'Run the registry server (registry:2 compatible storage, config and environment)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;help;client-setup'= {
        }
        &'regctl;help;cert'= {
            cand self-signed 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it'
            cand acme 'Obtain a certificate from an ACME CA such as Let''s Encrypt'
            cand show 'Show subject, names, issuer and validity of a certificate'
        }
        &'regctl;help;cert;self-signed'= {
        }
        &'regctl;help;cert;acme'= {
        }
        &'regctl;help;cert;show'= {
        }
        &'regctl;help;config'= {
            cand generate 'Write a commented config.yml that registry:2 and regctl both accept'
            cand validate 'Check a config and report every problem at once, each with its key path'
            cand show 'Print the effective config: the file after REGISTRY_* overrides and defaults'
            cand set 'Set one key of config.yml in place, keeping its comments and layout'
            cand unset 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written'
        }
        &'regctl;help;config;generate'= {
        }
        &'regctl;help;config;validate'= {
        }
        &'regctl;help;config;show'= {
        }
        &'regctl;help;config;set'= {
        }
        &'regctl;help;config;unset'= {
        }
        &'regctl;help;catalog'= {
        }
        &'regctl;help;tags'= {
        }
        &'regctl;help;manifest'= {
        }
        &'regctl;help;delete'= {
        }
        &'regctl;help;doctor'= {
        }
        &'regctl;help;events'= {
            cand tail 'Stream the events of a running server as they happen'
        }
        &'regctl;help;events;tail'= {
        }
        &'regctl;help;login'= {
        }
        &'regctl;help;logout'= {
        }
        &'regctl;help;completions'= {
        }
        &'regctl;help;gc'= {
        }
        &'regctl;help;fsck'= {
        }
        &'regctl;help;prune'= {
        }
        &'regctl;help;du'= {
        }
        &'regctl;help;init'= {
        }
        &'regctl;help;man'= {
        }
        &'regctl;help;user'= {
            cand add 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
            cand list 'List users, their hash scheme and whether registry:2 accepts them'
            cand passwd 'Set a user''s password (no old password needed: whoever can write the file can change it)'
            cand remove 'Remove a user (every entry of that name)'
            cand verify 'Check a user''s password: exit 0 if it is correct, 1 if not'
        }
        &'regctl;help;user;add'= {
        }
        &'regctl;help;user;list'= {
        }
        &'regctl;help;user;passwd'= {
        }
        &'regctl;help;user;remove'= {
        }
        &'regctl;help;user;verify'= {
        }
        &'regctl;help;access'= {
            cand show 'Print the effective rules, in the order they are tried'
            cand check 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)'
        }
        &'regctl;help;access;show'= {
        }
        &'regctl;help;access;check'= {
        }
        &'regctl;help;token'= {
            cand create 'Create a token and print it (the only time it is shown)'
            cand list 'List tokens (never their secrets)'
            cand revoke 'Revoke a token: it stops working within a second on a running server'
        }
        &'regctl;help;token;create'= {
        }
        &'regctl;help;token;list'= {
        }
        &'regctl;help;token;revoke'= {
        }
        &'regctl;help;serve'= {
        }
        &'regctl;help;help'= {
        }
    ]
    $completions[$command]
}
