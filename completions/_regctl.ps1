
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'regctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'regctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'regctl' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('client-setup', 'client-setup', [CompletionResultType]::ParameterValue, 'Configure docker (or containerd, podman) on this machine to use a registry')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Create, obtain and inspect TLS certificates for the registry')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Generate, validate and show the registry config (distribution''s config.yml)')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'List the repositories of a registry')
            [CompletionResult]::new('tags', 'tags', [CompletionResultType]::ParameterValue, 'List the tags of a repository with digest, media type and image size')
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Show a manifest, or the one an index holds for a platform')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an image manifest by tag or digest, or only a tag')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Diagnose why docker login, push or pull to a registry fails from this machine')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Show the events (pushes, pulls, deletes, mounts) of a running server')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Check and store registry credentials in the docker config')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the stored credentials of a registry')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them to a directory')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Delete blobs and manifests nothing needs, safely while the registry runs')
            [CompletionResult]::new('fsck', 'fsck', [CompletionResultType]::ParameterValue, 'Check a store end to end; with --repair fix what is safe')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove the tags the retention policies of the config expire')
            [CompletionResult]::new('du', 'du', [CompletionResultType]::ParameterValue, 'Show how much storage each repository and tag uses')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Set up a registry: config.yml, users, certificates and storage in one directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the regctl(1) man page, or write every page to a directory')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'Manage registry users in the htpasswd file')
            [CompletionResult]::new('access', 'access', [CompletionResultType]::ParameterValue, 'Show the access policy and check what it allows')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Manage CI tokens: passwords limited to repositories and actions')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the registry server (registry:2 compatible storage, config and environment)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;client-setup' {
            [CompletionResult]::new('--mirror', '--mirror', [CompletionResultType]::ParameterName, 'A mirror to use (repeat for several, tried in order): http(s)://HOST:PORT mirrors Docker Hub (docker''s registry-mirrors; containerd and podman with --containerd, --podman); http(s)://HOST:PORT/REGISTRY mirrors REGISTRY under regctl''s proxy.upstreams prefix REGISTRY/ (containerd and podman only)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'The registry''s CA certificate (PEM): set up TLS with a private CA instead of plain HTTP')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Apply every path under DIR instead of / (for tests and for preparing images)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--containerd', '--containerd', [CompletionResultType]::ParameterName, 'Also configure containerd (certs.d/HOST:PORT/hosts.toml)')
            [CompletionResult]::new('--podman', '--podman', [CompletionResultType]::ParameterName, 'Also configure podman, buildah and skopeo (a registries.conf.d drop-in)')
            [CompletionResult]::new('--no-docker', '--no-docker', [CompletionResultType]::ParameterName, 'Leave docker''s files alone (for hosts with only containerd or podman)')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Undo: drop HOST:PORT from insecure-registries (and each --mirror from registry-mirrors) and delete the files regctl wrote for them')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the diff of every file that would change and write nothing')
            [CompletionResult]::new('--no-probe', '--no-probe', [CompletionResultType]::ParameterName, 'Do not probe HOST:PORT (or an http:// mirror) for TLS before listing it as insecure (e.g. the registry is not running yet)')
            [CompletionResult]::new('--restart', '--restart', [CompletionResultType]::ParameterName, 'Restart the services that need it (`systemctl restart docker`) after writing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;cert' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('self-signed', 'self-signed', [CompletionResultType]::ParameterValue, 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it')
            [CompletionResult]::new('acme', 'acme', [CompletionResultType]::ParameterValue, 'Obtain a certificate from an ACME CA such as Let''s Encrypt')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show subject, names, issuer and validity of a certificate')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;cert;self-signed' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'A DNS name or IP address clients use to reach the registry (repeat for each)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where to write the files [default: certs/ beside the config file]')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'Validity of the server certificate in days (the CA is valid for 10 years)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Registry port for the printed client-setup command [default: the port of http.addr, else 5000]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Create a new CA even if DIR has one (every client must then trust the new ca.crt)')
            [CompletionResult]::new('--update-config', '--update-config', [CompletionResultType]::ParameterName, 'Point http.tls.certificate and http.tls.key of the config file at the new files')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;cert;acme' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'A DNS name (or IP address, if the CA issues for IPs) the certificate must cover (repeat for each)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Contact address for expiry and policy notices')
            [CompletionResult]::new('--directory', '--directory', [CompletionResultType]::ParameterName, 'ACME directory URL [default: Let''s Encrypt production]')
            [CompletionResult]::new('--ca-root', '--ca-root', [CompletionResultType]::ParameterName, 'Trust this PEM CA for the ACME server''s own HTTPS (a private ACME server such as pebble)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where to write server.crt, server.key and the account cache [default: certs/ beside the config file]')
            [CompletionResult]::new('--challenge', '--challenge', [CompletionResultType]::ParameterName, 'How to prove control of the hosts')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'Address to answer HTTP-01 challenges on (`::` to answer over IPv6 too: Let''s Encrypt validates over IPv6 when the name has an AAAA record)')
            [CompletionResult]::new('--http-port', '--http-port', [CompletionResultType]::ParameterName, 'Port to answer HTTP-01 challenges on (the CA always connects to port 80)')
            [CompletionResult]::new('--tls-addr', '--tls-addr', [CompletionResultType]::ParameterName, 'Address to answer TLS-ALPN-01 challenges on (`::` for IPv6 too)')
            [CompletionResult]::new('--tls-port', '--tls-port', [CompletionResultType]::ParameterName, 'Port to answer TLS-ALPN-01 challenges on (the CA always connects to port 443)')
            [CompletionResult]::new('--renew-before', '--renew-before', [CompletionResultType]::ParameterName, 'Keep an existing certificate unless it expires within this long')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Use Let''s Encrypt''s staging CA (untrusted certificates, for trying things out)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Obtain a new certificate even if the existing one is still good')
            [CompletionResult]::new('--update-config', '--update-config', [CompletionResultType]::ParameterName, 'Point http.tls.certificate and http.tls.key of the config file at the new files')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;cert;show' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;cert;help' {
            [CompletionResult]::new('self-signed', 'self-signed', [CompletionResultType]::ParameterValue, 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it')
            [CompletionResult]::new('acme', 'acme', [CompletionResultType]::ParameterValue, 'Obtain a certificate from an ACME CA such as Let''s Encrypt')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show subject, names, issuer and validity of a certificate')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;cert;help;self-signed' {
            break
        }
        'regctl;cert;help;acme' {
            break
        }
        'regctl;cert;help;show' {
            break
        }
        'regctl;cert;help;help' {
            break
        }
        'regctl;config' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write a commented config.yml that registry:2 and regctl both accept')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a config and report every problem at once, each with its key path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective config: the file after REGISTRY_* overrides and defaults')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one key of config.yml in place, keeping its comments and layout')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;config;generate' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Address to listen on (http.addr); 0.0.0.0:PORT serves the network')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage directory (storage.filesystem.rootdirectory)')
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'Require basic authentication against this htpasswd file (auth.htpasswd.path)')
            [CompletionResult]::new('--realm', '--realm', [CompletionResultType]::ParameterName, 'Realm clients show when asking for a password (auth.htpasswd.realm)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve HTTPS with this PEM certificate (http.tls.certificate)')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Private key of --tls-cert, PEM (http.tls.key)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'URL or HOST[:PORT] clients reach the registry at (http.host)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Write to FILE instead of stdout')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Allow deleting manifests and blobs (storage.delete.enabled)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE if it exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;config;validate' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;config;show' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;config;set' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the change as a unified diff and write nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;config;unset' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the change as a unified diff and write nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;config;help' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write a commented config.yml that registry:2 and regctl both accept')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a config and report every problem at once, each with its key path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective config: the file after REGISTRY_* overrides and defaults')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one key of config.yml in place, keeping its comments and layout')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;config;help;generate' {
            break
        }
        'regctl;config;help;validate' {
            break
        }
        'regctl;config;help;show' {
            break
        }
        'regctl;config;help;set' {
            break
        }
        'regctl;config;help;unset' {
            break
        }
        'regctl;config;help;help' {
            break
        }
        'regctl;catalog' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after this many entries')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--count-tags', '--count-tags', [CompletionResultType]::ParameterName, 'Also count the tags of each repository (one request per repository)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;tags' {
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'HEAD requests in flight at once when reading tag details')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after this many entries')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--names-only', '--names-only', [CompletionResultType]::ParameterName, 'Only list tag names (skips one HEAD request per tag)')
            [CompletionResult]::new('--details', '--details', [CompletionResultType]::ParameterName, 'Also show when each image was created (reads each image config: one more request per distinct digest)')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show full digests and media types (the table is then wider than 80 columns)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;manifest' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'For an index (multi-platform image), show the manifest of this os/arch[/variant]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show full digests and media types in the table (wider than 80 columns)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;delete' {
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted and stop')
            [CompletionResult]::new('--tag-only', '--tag-only', [CompletionResultType]::ParameterName, 'Remove only the tag, keeping the manifest and its other tags')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show the full digest in the result table')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;doctor' {
            [CompletionResult]::new('--repository', '--repository', [CompletionResultType]::ParameterName, 'The repository --write pushes to')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Read every system path (daemon.json, certs.d, CA bundle) under DIR instead of /')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of each connection attempt')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Also push a 1-byte test blob and a 2 MiB chunk (deleted again where the registry allows)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;events' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream the events of a running server as they happen')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;events;tail' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'The debug listener as HOST:PORT (default: http.debug.addr of the config)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after N events')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;events;help' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream the events of a running server as they happen')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;events;help;tail' {
            break
        }
        'regctl;events;help;help' {
            break
        }
        'regctl;login' {
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config''s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;logout' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write the scripts for every shell into DIR instead of printing one')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;gc' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage root (registry:2''s rootdirectory) instead of the config''s')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Keep anything changed more recently than this (e.g. 30m, 2h, 0s); a copied or restored store counts as changed')
            [CompletionResult]::new('--uploads-older-than', '--uploads-older-than', [CompletionResultType]::ParameterName, 'Remove uploads with no activity for this long (registry:2''s purge age)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Longest wait for the registry''s pushes in progress before sweeping (then gc fails)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Also delete manifests that no tag points to (keeps index children and referrers)')
            [CompletionResult]::new('--delete-untagged', '--delete-untagged', [CompletionResultType]::ParameterName, 'Also delete manifests that no tag points to (keeps index children and referrers)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Show what would be deleted and how many bytes it frees; delete nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted and how many bytes it frees; delete nothing')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'No server writes to the store during the run (registry:2''s read-only window); takes no lock')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;fsck' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage root (registry:2''s rootdirectory) instead of the config''s')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--verify-content', '--verify-content', [CompletionResultType]::ParameterName, 'Also hash every blob and compare with its digest (reads all data)')
            [CompletionResult]::new('--repair', '--repair', [CompletionResultType]::ParameterName, 'Fix what is safely fixable (never removes what a tag needs)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'No server writes to the store meanwhile: --repair takes no lock (S3 without conditional writes)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;prune' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage root (registry:2''s rootdirectory) instead of the config''s')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Show what would be removed and the bytes it frees; remove nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed and the bytes it frees; remove nothing')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show the full digests')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;du' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage root (registry:2''s rootdirectory) instead of the config''s')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'How many of the largest images to list')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show the full digests')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;init' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Address and port to listen on [default: 0.0.0.0:5000; 127.0.0.1:5000 for loopback hosts; port 443 with ACME]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host name or IP clients use: put in the certificate and the printed commands (repeat for several; the first is the main one) [default: 127.0.0.1 with a loopback --addr, else this machine''s address]')
            [CompletionResult]::new('--public-url', '--public-url', [CompletionResultType]::ParameterName, 'Write http.host: the one URL every upload Location names. Only for a registry behind a proxy or NAT that rewrites addresses; without it Locations follow the address each client used')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS: a private CA, Let''s Encrypt, existing files, or plain HTTP [default: self-signed]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Certificate chain (PEM) for --tls files')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Private key (PEM) for --tls files')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Contact e-mail for the Let''s Encrypt account (--tls acme)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'First user of the htpasswd file [default: admin]')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Allow deleting images over the API (`--delete` or `--delete=false`) [default: false]')
            [CompletionResult]::new('--storage', '--storage', [CompletionResultType]::ParameterName, 'Where the images are stored [default: DIR/data]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the user''s password from the first line of stdin')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'No authentication: anyone who can connect can push and pull')
            [CompletionResult]::new('--systemd', '--systemd', [CompletionResultType]::ParameterName, 'Also write DIR/regctl.service, a hardened systemd unit running `regctl serve`')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing DIR/config.yml (kept as a backup) and reset an existing user''s password')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Accept the default for every question not answered by a flag')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Accept the default for every question not answered by a flag')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;user' {
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'htpasswd file to use instead of the one the config names')
            [CompletionResult]::new('--groups-file', '--groups-file', [CompletionResultType]::ParameterName, 'Group file (Apache AuthGroupFile) instead of the one the access policy names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List users, their hash scheme and whether registry:2 accepts them')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Set a user''s password (no old password needed: whoever can write the file can change it)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a user (every entry of that name)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a user''s password: exit 0 if it is correct, 1 if not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;user;add' {
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Also add the user to this group of the access policy''s group file (repeatable)')
            [CompletionResult]::new('--cost', '--cost', [CompletionResultType]::ParameterName, 'bcrypt cost: each step doubles the work of hashing and of every login')
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'htpasswd file to use instead of the one the config names')
            [CompletionResult]::new('--groups-file', '--groups-file', [CompletionResultType]::ParameterName, 'Group file (Apache AuthGroupFile) instead of the one the access policy names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of prompting')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;user;list' {
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'htpasswd file to use instead of the one the config names')
            [CompletionResult]::new('--groups-file', '--groups-file', [CompletionResultType]::ParameterName, 'Group file (Apache AuthGroupFile) instead of the one the access policy names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;user;passwd' {
            [CompletionResult]::new('--cost', '--cost', [CompletionResultType]::ParameterName, 'bcrypt cost: each step doubles the work of hashing and of every login')
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'htpasswd file to use instead of the one the config names')
            [CompletionResult]::new('--groups-file', '--groups-file', [CompletionResultType]::ParameterName, 'Group file (Apache AuthGroupFile) instead of the one the access policy names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of prompting')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;user;remove' {
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'htpasswd file to use instead of the one the config names')
            [CompletionResult]::new('--groups-file', '--groups-file', [CompletionResultType]::ParameterName, 'Group file (Apache AuthGroupFile) instead of the one the access policy names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;user;verify' {
            [CompletionResult]::new('--htpasswd', '--htpasswd', [CompletionResultType]::ParameterName, 'htpasswd file to use instead of the one the config names')
            [CompletionResult]::new('--groups-file', '--groups-file', [CompletionResultType]::ParameterName, 'Group file (Apache AuthGroupFile) instead of the one the access policy names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of prompting')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;user;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List users, their hash scheme and whether registry:2 accepts them')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Set a user''s password (no old password needed: whoever can write the file can change it)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a user (every entry of that name)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a user''s password: exit 0 if it is correct, 1 if not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;user;help;add' {
            break
        }
        'regctl;user;help;list' {
            break
        }
        'regctl;user;help;passwd' {
            break
        }
        'regctl;user;help;remove' {
            break
        }
        'regctl;user;help;verify' {
            break
        }
        'regctl;user;help;help' {
            break
        }
        'regctl;access' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective rules, in the order they are tried')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;access;show' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;access;check' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;access;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective rules, in the order they are tried')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;access;help;show' {
            break
        }
        'regctl;access;help;check' {
            break
        }
        'regctl;access;help;help' {
            break
        }
        'regctl;token' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print it (the only time it is shown)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token: it stops working within a second on a running server')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;token;create' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user the token logs in as (must be in the htpasswd file when used)')
            [CompletionResult]::new('--repo', '--repo', [CompletionResultType]::ParameterName, 'Repository pattern the token may be used on (repeatable)')
            [CompletionResult]::new('--actions', '--actions', [CompletionResultType]::ParameterName, 'Actions the token allows: pull, push, delete, comma-separated, or *')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'Lifetime (90d, 12h, 1y) or never')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'What the token is for')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;token;list' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;token;revoke' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the one the config names')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;token;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print it (the only time it is shown)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token: it stops working within a second on a running server')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;token;help;create' {
            break
        }
        'regctl;token;help;list' {
            break
        }
        'regctl;token;help;revoke' {
            break
        }
        'regctl;token;help;help' {
            break
        }
        'regctl;serve' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Listen on HOST:PORT (port 0 picks a free port); overrides http.addr')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Store images under DIR; overrides storage.filesystem.rootdirectory')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--no-web', '--no-web', [CompletionResultType]::ParameterName, 'Do not serve the web pages at / (it then answers 200, empty)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;help' {
            [CompletionResult]::new('client-setup', 'client-setup', [CompletionResultType]::ParameterValue, 'Configure docker (or containerd, podman) on this machine to use a registry')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Create, obtain and inspect TLS certificates for the registry')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Generate, validate and show the registry config (distribution''s config.yml)')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'List the repositories of a registry')
            [CompletionResult]::new('tags', 'tags', [CompletionResultType]::ParameterValue, 'List the tags of a repository with digest, media type and image size')
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Show a manifest, or the one an index holds for a platform')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an image manifest by tag or digest, or only a tag')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Diagnose why docker login, push or pull to a registry fails from this machine')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Show the events (pushes, pulls, deletes, mounts) of a running server')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Check and store registry credentials in the docker config')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the stored credentials of a registry')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them to a directory')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Delete blobs and manifests nothing needs, safely while the registry runs')
            [CompletionResult]::new('fsck', 'fsck', [CompletionResultType]::ParameterValue, 'Check a store end to end; with --repair fix what is safe')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove the tags the retention policies of the config expire')
            [CompletionResult]::new('du', 'du', [CompletionResultType]::ParameterValue, 'Show how much storage each repository and tag uses')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Set up a registry: config.yml, users, certificates and storage in one directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the regctl(1) man page, or write every page to a directory')
            [CompletionResult]::new('user', 'user', [CompletionResultType]::ParameterValue, 'Manage registry users in the htpasswd file')
            [CompletionResult]::new('access', 'access', [CompletionResultType]::ParameterValue, 'Show the access policy and check what it allows')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Manage CI tokens: passwords limited to repositories and actions')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the registry server (registry:2 compatible storage, config and environment)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;help;client-setup' {
            break
        }
        'regctl;help;cert' {
            [CompletionResult]::new('self-signed', 'self-signed', [CompletionResultType]::ParameterValue, 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it')
            [CompletionResult]::new('acme', 'acme', [CompletionResultType]::ParameterValue, 'Obtain a certificate from an ACME CA such as Let''s Encrypt')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show subject, names, issuer and validity of a certificate')
            break
        }
        'regctl;help;cert;self-signed' {
            break
        }
        'regctl;help;cert;acme' {
            break
        }
        'regctl;help;cert;show' {
            break
        }
        'regctl;help;config' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write a commented config.yml that registry:2 and regctl both accept')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a config and report every problem at once, each with its key path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective config: the file after REGISTRY_* overrides and defaults')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one key of config.yml in place, keeping its comments and layout')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written')
            break
        }
        'regctl;help;config;generate' {
            break
        }
        'regctl;help;config;validate' {
            break
        }
        'regctl;help;config;show' {
            break
        }
        'regctl;help;config;set' {
            break
        }
        'regctl;help;config;unset' {
            break
        }
        'regctl;help;catalog' {
            break
        }
        'regctl;help;tags' {
            break
        }
        'regctl;help;manifest' {
            break
        }
        'regctl;help;delete' {
            break
        }
        'regctl;help;doctor' {
            break
        }
        'regctl;help;events' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream the events of a running server as they happen')
            break
        }
        'regctl;help;events;tail' {
            break
        }
        'regctl;help;login' {
            break
        }
        'regctl;help;logout' {
            break
        }
        'regctl;help;completions' {
            break
        }
        'regctl;help;gc' {
            break
        }
        'regctl;help;fsck' {
            break
        }
        'regctl;help;prune' {
            break
        }
        'regctl;help;du' {
            break
        }
        'regctl;help;init' {
            break
        }
        'regctl;help;man' {
            break
        }
        'regctl;help;user' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List users, their hash scheme and whether registry:2 accepts them')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Set a user''s password (no old password needed: whoever can write the file can change it)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a user (every entry of that name)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a user''s password: exit 0 if it is correct, 1 if not')
            break
        }
        'regctl;help;user;add' {
            break
        }
        'regctl;help;user;list' {
            break
        }
        'regctl;help;user;passwd' {
            break
        }
        'regctl;help;user;remove' {
            break
        }
        'regctl;help;user;verify' {
            break
        }
        'regctl;help;access' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective rules, in the order they are tried')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)')
            break
        }
        'regctl;help;access;show' {
            break
        }
        'regctl;help;access;check' {
            break
        }
        'regctl;help;token' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print it (the only time it is shown)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token: it stops working within a second on a running server')
            break
        }
        'regctl;help;token;create' {
            break
        }
        'regctl;help;token;list' {
            break
        }
        'regctl;help;token;revoke' {
            break
        }
        'regctl;help;serve' {
            break
        }
        'regctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
