# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_regctl_global_optspecs
    string join \n c/config= o/output= q/quiet v/verbose h/help V/version
end

function __fish_regctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_regctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_regctl_using_subcommand
    set -l cmd (__fish_regctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c regctl -n "__fish_regctl_needs_command" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_needs_command" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_needs_command" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_needs_command" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_needs_command" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "client-setup" -d 'Configure docker (or containerd, podman) on this machine to use a registry'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "cert" -d 'Create, obtain and inspect TLS certificates for the registry'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "config" -d 'Generate, validate and show the registry config (distribution\'s config.yml)'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "catalog" -d 'List the repositories of a registry'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "tags" -d 'List the tags of a repository with digest, media type and image size'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "manifest" -d 'Show a manifest, or the one an index holds for a platform'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "delete" -d 'Delete an image manifest by tag or digest, or only a tag'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "doctor" -d 'Diagnose why docker login, push or pull to a registry fails from this machine'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "events" -d 'Show the events (pushes, pulls, deletes, mounts) of a running server'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "login" -d 'Check and store registry credentials in the docker config'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "logout" -d 'Remove the stored credentials of a registry'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "gc" -d 'Delete blobs and manifests nothing needs, safely while the registry runs'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "fsck" -d 'Check a store end to end; with --repair fix what is safe'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "prune" -d 'Remove the tags the retention policies of the config expire'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "du" -d 'Show how much storage each repository and tag uses'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "init" -d 'Set up a registry: config.yml, users, certificates and storage in one directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "user" -d 'Manage registry users in the htpasswd file'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "access" -d 'Show the access policy and check what it allows'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "token" -d 'Manage CI tokens: passwords limited to repositories and actions'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "serve" -d 'Run the registry server (registry:2 compatible storage, config and environment)'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l mirror -d 'A mirror to use (repeat for several, tried in order): http(s)://HOST:PORT mirrors Docker Hub (docker\'s registry-mirrors; containerd and podman with --containerd, --podman); http(s)://HOST:PORT/REGISTRY mirrors REGISTRY under regctl\'s proxy.upstreams prefix REGISTRY/ (containerd and podman only)' -r
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l ca-file -d 'The registry\'s CA certificate (PEM): set up TLS with a private CA instead of plain HTTP' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l root -d 'Apply every path under DIR instead of / (for tests and for preparing images)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l containerd -d 'Also configure containerd (certs.d/HOST:PORT/hosts.toml)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l podman -d 'Also configure podman, buildah and skopeo (a registries.conf.d drop-in)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l no-docker -d 'Leave docker\'s files alone (for hosts with only containerd or podman)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l remove -d 'Undo: drop HOST:PORT from insecure-registries (and each --mirror from registry-mirrors) and delete the files regctl wrote for them'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l dry-run -d 'Print the diff of every file that would change and write nothing'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l no-probe -d 'Do not probe HOST:PORT (or an http:// mirror) for TLS before listing it as insecure (e.g. the registry is not running yet)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l restart -d 'Restart the services that need it (`systemctl restart docker`) after writing'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -f -a "self-signed" -d 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -f -a "acme" -d 'Obtain a certificate from an ACME CA such as Let\'s Encrypt'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -f -a "show" -d 'Show subject, names, issuer and validity of a certificate'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed acme show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l host -d 'A DNS name or IP address clients use to reach the registry (repeat for each)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l dir -d 'Where to write the files [default: certs/ beside the config file]' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l days -d 'Validity of the server certificate in days (the CA is valid for 10 years)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l port -d 'Registry port for the printed client-setup command [default: the port of http.addr, else 5000]' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l force -d 'Create a new CA even if DIR has one (every client must then trust the new ca.crt)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l update-config -d 'Point http.tls.certificate and http.tls.key of the config file at the new files'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l host -d 'A DNS name (or IP address, if the CA issues for IPs) the certificate must cover (repeat for each)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l email -d 'Contact address for expiry and policy notices' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l directory -d 'ACME directory URL [default: Let\'s Encrypt production]' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l ca-root -d 'Trust this PEM CA for the ACME server\'s own HTTPS (a private ACME server such as pebble)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l dir -d 'Where to write server.crt, server.key and the account cache [default: certs/ beside the config file]' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l challenge -d 'How to prove control of the hosts' -r -f -a "http-01\t''
tls-alpn-01\t''"
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l http-addr -d 'Address to answer HTTP-01 challenges on (`::` to answer over IPv6 too: Let\'s Encrypt validates over IPv6 when the name has an AAAA record)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l http-port -d 'Port to answer HTTP-01 challenges on (the CA always connects to port 80)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l tls-addr -d 'Address to answer TLS-ALPN-01 challenges on (`::` for IPv6 too)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l tls-port -d 'Port to answer TLS-ALPN-01 challenges on (the CA always connects to port 443)' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l renew-before -d 'Keep an existing certificate unless it expires within this long' -r
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l staging -d 'Use Let\'s Encrypt\'s staging CA (untrusted certificates, for trying things out)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l force -d 'Obtain a new certificate even if the existing one is still good'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -l update-config -d 'Point http.tls.certificate and http.tls.key of the config file at the new files'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from acme" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from show" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "self-signed" -d 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "acme" -d 'Obtain a certificate from an ACME CA such as Let\'s Encrypt'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show subject, names, issuer and validity of a certificate'
complete -c regctl -n "__fish_regctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -f -a "generate" -d 'Write a commented config.yml that registry:2 and regctl both accept'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -f -a "validate" -d 'Check a config and report every problem at once, each with its key path'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -f -a "show" -d 'Print the effective config: the file after REGISTRY_* overrides and defaults'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -f -a "set" -d 'Set one key of config.yml in place, keeping its comments and layout'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -f -a "unset" -d 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written'
complete -c regctl -n "__fish_regctl_using_subcommand config; and not __fish_seen_subcommand_from generate validate show set unset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l addr -d 'Address to listen on (http.addr); 0.0.0.0:PORT serves the network' -r
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l root -d 'Storage directory (storage.filesystem.rootdirectory)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l htpasswd -d 'Require basic authentication against this htpasswd file (auth.htpasswd.path)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l realm -d 'Realm clients show when asking for a password (auth.htpasswd.realm)' -r
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l tls-cert -d 'Serve HTTPS with this PEM certificate (http.tls.certificate)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l tls-key -d 'Private key of --tls-cert, PEM (http.tls.key)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l host -d 'URL or HOST[:PORT] clients reach the registry at (http.host)' -r
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l file -d 'Write to FILE instead of stdout' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l delete -d 'Allow deleting manifests and blobs (storage.delete.enabled)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -l force -d 'Replace FILE if it exists'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from generate" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from validate" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from validate" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from validate" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from validate" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from validate" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from show" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -l dry-run -d 'Print the change as a unified diff and write nothing'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l dry-run -d 'Print the change as a unified diff and write nothing'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Write a commented config.yml that registry:2 and regctl both accept'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "validate" -d 'Check a config and report every problem at once, each with its key path'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the effective config: the file after REGISTRY_* overrides and defaults'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set one key of config.yml in place, keeping its comments and layout'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written'
complete -c regctl -n "__fish_regctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l limit -d 'Stop after this many entries' -r
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s n -l page-size -d 'Ask for this many entries per request (`n`); the registry\'s default when absent' -r
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config\'s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l count-tags -d 'Also count the tags of each repository (one request per repository)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l concurrency -d 'HEAD requests in flight at once when reading tag details' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l limit -d 'Stop after this many entries' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s n -l page-size -d 'Ask for this many entries per request (`n`); the registry\'s default when absent' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config\'s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l names-only -d 'Only list tag names (skips one HEAD request per tag)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l details -d 'Also show when each image was created (reads each image config: one more request per distinct digest)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l wide -d 'Show full digests and media types (the table is then wider than 80 columns)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l platform -d 'For an index (multi-platform image), show the manifest of this os/arch[/variant]' -r
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config\'s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l wide -d 'Show full digests and media types in the table (wider than 80 columns)'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config\'s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l dry-run -d 'Show what would be deleted and stop'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l tag-only -d 'Remove only the tag, keeping the manifest and its other tags'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l wide -d 'Show the full digest in the result table'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -l repository -d 'The repository --write pushes to' -r
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -l root -d 'Read every system path (daemon.json, certs.d, CA bundle) under DIR instead of /' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -l timeout -d 'Timeout of each connection attempt' -r
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -l write -d 'Also push a 1-byte test blob and a 2 MiB chunk (deleted again where the registry allows)'
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -f -a "tail" -d 'Stream the events of a running server as they happen'
complete -c regctl -n "__fish_regctl_using_subcommand events; and not __fish_seen_subcommand_from tail help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -l addr -d 'The debug listener as HOST:PORT (default: http.debug.addr of the config)' -r
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -l count -d 'Stop after N events' -r
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from tail" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from help" -f -a "tail" -d 'Stream the events of a running server as they happen'
complete -c regctl -n "__fish_regctl_using_subcommand events; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand login" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA). Without it: `ca.crt` next to the local config\'s TLS certificate, then `$REGCTL_CERTS_D` (default /etc/docker/certs.d)/HOST:PORT/ca.crt; `-v` names the one used' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand login" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` (~/.docker/config.json), else by `podman`/`skopeo login` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, ~/.config/containers/auth.json) are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand login" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand login" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand login" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand login" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -l dir -d 'Write the scripts for every shell into DIR instead of printing one' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l root -d 'Storage root (registry:2\'s rootdirectory) instead of the config\'s' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l grace -d 'Keep anything changed more recently than this (e.g. 30m, 2h, 0s); a copied or restored store counts as changed' -r
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l uploads-older-than -d 'Remove uploads with no activity for this long (registry:2\'s purge age)' -r
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l lock-timeout -d 'Longest wait for the registry\'s pushes in progress before sweeping (then gc fails)' -r
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s m -l delete-untagged -d 'Also delete manifests that no tag points to (keeps index children and referrers)'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s d -l dry-run -d 'Show what would be deleted and how many bytes it frees; delete nothing'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l offline -d 'No server writes to the store during the run (registry:2\'s read-only window); takes no lock'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -l root -d 'Storage root (registry:2\'s rootdirectory) instead of the config\'s' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -l verify-content -d 'Also hash every blob and compare with its digest (reads all data)'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -l repair -d 'Fix what is safely fixable (never removes what a tag needs)'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -l offline -d 'No server writes to the store meanwhile: --repair takes no lock (S3 without conditional writes)'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand fsck" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand prune" -l root -d 'Storage root (registry:2\'s rootdirectory) instead of the config\'s' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s d -l dry-run -d 'Show what would be removed and the bytes it frees; remove nothing'
complete -c regctl -n "__fish_regctl_using_subcommand prune" -l wide -d 'Show the full digests'
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand prune" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand du" -l root -d 'Storage root (registry:2\'s rootdirectory) instead of the config\'s' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand du" -l top -d 'How many of the largest images to list' -r
complete -c regctl -n "__fish_regctl_using_subcommand du" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand du" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand du" -l wide -d 'Show the full digests'
complete -c regctl -n "__fish_regctl_using_subcommand du" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand du" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand du" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand du" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand init" -l addr -d 'Address and port to listen on [default: 0.0.0.0:5000; 127.0.0.1:5000 for loopback hosts; port 443 with ACME]' -r
complete -c regctl -n "__fish_regctl_using_subcommand init" -l host -d 'Host name or IP clients use: put in the certificate and the printed commands (repeat for several; the first is the main one) [default: 127.0.0.1 with a loopback --addr, else this machine\'s address]' -r
complete -c regctl -n "__fish_regctl_using_subcommand init" -l public-url -d 'Write http.host: the one URL every upload Location names. Only for a registry behind a proxy or NAT that rewrites addresses; without it Locations follow the address each client used' -r
complete -c regctl -n "__fish_regctl_using_subcommand init" -l tls -d 'TLS: a private CA, Let\'s Encrypt, existing files, or plain HTTP [default: self-signed]' -r -f -a "none\t'Plain HTTP (clients must list the registry as insecure)'
self-signed\t'A private CA and a server certificate signed by it'
acme\t'Let\'s Encrypt, obtained by `regctl serve` (public DNS name, port 443 reachable)'
files\t'An existing certificate and key (--tls-cert, --tls-key)'"
complete -c regctl -n "__fish_regctl_using_subcommand init" -l tls-cert -d 'Certificate chain (PEM) for --tls files' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand init" -l tls-key -d 'Private key (PEM) for --tls files' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand init" -l email -d 'Contact e-mail for the Let\'s Encrypt account (--tls acme)' -r
complete -c regctl -n "__fish_regctl_using_subcommand init" -l user -d 'First user of the htpasswd file [default: admin]' -r
complete -c regctl -n "__fish_regctl_using_subcommand init" -l delete -d 'Allow deleting images over the API (`--delete` or `--delete=false`) [default: false]' -r -f -a "true\t''
false\t''"
complete -c regctl -n "__fish_regctl_using_subcommand init" -l storage -d 'Where the images are stored [default: DIR/data]' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand init" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand init" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand init" -l password-stdin -d 'Read the user\'s password from the first line of stdin'
complete -c regctl -n "__fish_regctl_using_subcommand init" -l no-auth -d 'No authentication: anyone who can connect can push and pull'
complete -c regctl -n "__fish_regctl_using_subcommand init" -l systemd -d 'Also write DIR/regctl.service, a hardened systemd unit running `regctl serve`'
complete -c regctl -n "__fish_regctl_using_subcommand init" -l force -d 'Replace an existing DIR/config.yml (kept as a backup) and reset an existing user\'s password'
complete -c regctl -n "__fish_regctl_using_subcommand init" -s y -l yes -d 'Accept the default for every question not answered by a flag'
complete -c regctl -n "__fish_regctl_using_subcommand init" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand init" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand init" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand man" -l dir -d 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand man" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand man" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand man" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -l groups-file -d 'Group file (Apache AuthGroupFile) instead of the one the access policy names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -f -a "add" -d 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -f -a "list" -d 'List users, their hash scheme and whether registry:2 accepts them'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -f -a "passwd" -d 'Set a user\'s password (no old password needed: whoever can write the file can change it)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -f -a "remove" -d 'Remove a user (every entry of that name)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -f -a "verify" -d 'Check a user\'s password: exit 0 if it is correct, 1 if not'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l group -d 'Also add the user to this group of the access policy\'s group file (repeatable)' -r
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l cost -d 'bcrypt cost: each step doubles the work of hashing and of every login' -r
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l groups-file -d 'Group file (Apache AuthGroupFile) instead of the one the access policy names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -l groups-file -d 'Group file (Apache AuthGroupFile) instead of the one the access policy names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l cost -d 'bcrypt cost: each step doubles the work of hashing and of every login' -r
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l groups-file -d 'Group file (Apache AuthGroupFile) instead of the one the access policy names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l groups-file -d 'Group file (Apache AuthGroupFile) instead of the one the access policy names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -l groups-file -d 'Group file (Apache AuthGroupFile) instead of the one the access policy names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "list" -d 'List users, their hash scheme and whether registry:2 accepts them'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Set a user\'s password (no old password needed: whoever can write the file can change it)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a user (every entry of that name)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check a user\'s password: exit 0 if it is correct, 1 if not'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -f -a "show" -d 'Print the effective rules, in the order they are tried'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -f -a "check" -d 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and not __fish_seen_subcommand_from show check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the effective rules, in the order they are tried'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from help" -f -a "check" -d 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)'
complete -c regctl -n "__fish_regctl_using_subcommand access; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "create" -d 'Create a token and print it (the only time it is shown)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "list" -d 'List tokens (never their secrets)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "revoke" -d 'Revoke a token: it stops working within a second on a running server'
complete -c regctl -n "__fish_regctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -l user -d 'The user the token logs in as (must be in the htpasswd file when used)' -r
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -l repo -d 'Repository pattern the token may be used on (repeatable)' -r
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -l actions -d 'Actions the token allows: pull, push, delete, comma-separated, or *' -r
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -l expires -d 'Lifetime (90d, 12h, 1y) or never' -r
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -l description -d 'What the token is for' -r
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l policy -d 'Policy file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a token and print it (the only time it is shown)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "list" -d 'List tokens (never their secrets)'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a token: it stops working within a second on a running server'
complete -c regctl -n "__fish_regctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -l addr -d 'Listen on HOST:PORT (port 0 picks a free port); overrides http.addr' -r
complete -c regctl -n "__fish_regctl_using_subcommand serve" -l root -d 'Store images under DIR; overrides storage.filesystem.rootdirectory' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand serve" -l no-web -d 'Do not serve the web pages at / (it then answers 200, empty)'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "client-setup" -d 'Configure docker (or containerd, podman) on this machine to use a registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "cert" -d 'Create, obtain and inspect TLS certificates for the registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "config" -d 'Generate, validate and show the registry config (distribution\'s config.yml)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "catalog" -d 'List the repositories of a registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "tags" -d 'List the tags of a repository with digest, media type and image size'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "manifest" -d 'Show a manifest, or the one an index holds for a platform'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "delete" -d 'Delete an image manifest by tag or digest, or only a tag'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "doctor" -d 'Diagnose why docker login, push or pull to a registry fails from this machine'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "events" -d 'Show the events (pushes, pulls, deletes, mounts) of a running server'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "login" -d 'Check and store registry credentials in the docker config'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "logout" -d 'Remove the stored credentials of a registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "gc" -d 'Delete blobs and manifests nothing needs, safely while the registry runs'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "fsck" -d 'Check a store end to end; with --repair fix what is safe'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "prune" -d 'Remove the tags the retention policies of the config expire'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "du" -d 'Show how much storage each repository and tag uses'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "init" -d 'Set up a registry: config.yml, users, certificates and storage in one directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "user" -d 'Manage registry users in the htpasswd file'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "access" -d 'Show the access policy and check what it allows'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "token" -d 'Manage CI tokens: passwords limited to repositories and actions'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "serve" -d 'Run the registry server (registry:2 compatible storage, config and environment)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup cert config catalog tags manifest delete doctor events login logout completions gc fsck prune du init man user access token serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "self-signed" -d 'Create a private CA (or reuse the one in DIR) and a server certificate signed by it'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "acme" -d 'Obtain a certificate from an ACME CA such as Let\'s Encrypt'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "show" -d 'Show subject, names, issuer and validity of a certificate'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "generate" -d 'Write a commented config.yml that registry:2 and regctl both accept'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "validate" -d 'Check a config and report every problem at once, each with its key path'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the effective config: the file after REGISTRY_* overrides and defaults'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set one key of config.yml in place, keeping its comments and layout'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "unset" -d 'Remove one key (and what is nested under it) from config.yml, keeping the rest as written'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from events" -f -a "tail" -d 'Stream the events of a running server as they happen'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "list" -d 'List users, their hash scheme and whether registry:2 accepts them'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "passwd" -d 'Set a user\'s password (no old password needed: whoever can write the file can change it)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "remove" -d 'Remove a user (every entry of that name)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "verify" -d 'Check a user\'s password: exit 0 if it is correct, 1 if not'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from access" -f -a "show" -d 'Print the effective rules, in the order they are tried'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from access" -f -a "check" -d 'Say whether USER may do ACTION on REPO and which rule decided (exit 1 when denied)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "create" -d 'Create a token and print it (the only time it is shown)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "list" -d 'List tokens (never their secrets)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "revoke" -d 'Revoke a token: it stops working within a second on a running server'
