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
complete -c regctl -n "__fish_regctl_needs_command" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "gc" -d 'Delete blobs and manifests nothing needs, safely while the registry runs'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "user" -d 'Manage registry users in the htpasswd file'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l ca-file -d 'The registry\'s CA certificate (PEM): set up TLS with a private CA instead of plain HTTP' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l root -d 'Apply every path under DIR instead of / (for tests and for preparing images)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l containerd -d 'Also configure containerd (certs.d/HOST:PORT/hosts.toml)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l podman -d 'Also configure podman, buildah and skopeo (a registries.conf.d drop-in)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l no-docker -d 'Leave docker\'s files alone (for hosts with only containerd or podman)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l remove -d 'Undo: drop HOST:PORT from insecure-registries and delete the files regctl wrote for it'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l dry-run -d 'Print the diff of every file that would change and write nothing'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -l restart -d 'Restart the services that need it (`systemctl restart docker`) after writing'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand client-setup" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -l dir -d 'Write the scripts for every shell into DIR instead of printing one' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l root -d 'Storage root (registry:2\'s rootdirectory) instead of the config\'s' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l grace -d 'Keep anything written more recently than this (e.g. 30m, 2h, 0s)' -r
complete -c regctl -n "__fish_regctl_using_subcommand gc" -l uploads-older-than -d 'Remove uploads with no activity for this long' -r
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s m -l delete-untagged -d 'Also delete manifests that no tag points to (keeps index children and referrers)'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s d -l dry-run -d 'Show what would be deleted and how many bytes it frees; delete nothing'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand gc" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand man" -l dir -d 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand man" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand man" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand man" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and not __fish_seen_subcommand_from add list passwd remove verify help" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
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
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l cost -d 'bcrypt cost: each step doubles the work of hashing and of every login' -r
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l cost -d 'bcrypt cost: each step doubles the work of hashing and of every login' -r
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand user; and __fish_seen_subcommand_from verify" -l htpasswd -d 'htpasswd file to use instead of the one the config names' -r -F
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
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup completions gc man user help" -f -a "client-setup" -d 'Configure docker (or containerd, podman) on this machine to use a registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup completions gc man user help" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup completions gc man user help" -f -a "gc" -d 'Delete blobs and manifests nothing needs, safely while the registry runs'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup completions gc man user help" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup completions gc man user help" -f -a "user" -d 'Manage registry users in the htpasswd file'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from client-setup completions gc man user help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a user (the htpasswd file is created, mode 0600, if it does not exist)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "list" -d 'List users, their hash scheme and whether registry:2 accepts them'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "passwd" -d 'Set a user\'s password (no old password needed: whoever can write the file can change it)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "remove" -d 'Remove a user (every entry of that name)'
complete -c regctl -n "__fish_regctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "verify" -d 'Check a user\'s password: exit 0 if it is correct, 1 if not'
