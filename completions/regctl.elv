
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
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand gc 'Delete blobs and manifests nothing needs, safely while the registry runs'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand user 'Manage registry users in the htpasswd file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;client-setup'= {
            cand --ca-file 'The registry''s CA certificate (PEM): set up TLS with a private CA instead of plain HTTP'
            cand --root 'Apply every path under DIR instead of / (for tests and for preparing images)'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --containerd 'Also configure containerd (certs.d/HOST:PORT/hosts.toml)'
            cand --podman 'Also configure podman, buildah and skopeo (a registries.conf.d drop-in)'
            cand --no-docker 'Leave docker''s files alone (for hosts with only containerd or podman)'
            cand --remove 'Undo: drop HOST:PORT from insecure-registries and delete the files regctl wrote for it'
            cand --dry-run 'Print the diff of every file that would change and write nothing'
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
            cand --grace 'Keep anything written more recently than this (e.g. 30m, 2h, 0s)'
            cand --uploads-older-than 'Remove uploads with no activity for this long'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -m 'Also delete manifests that no tag points to (keeps index children and referrers)'
            cand --delete-untagged 'Also delete manifests that no tag points to (keeps index children and referrers)'
            cand -d 'Show what would be deleted and how many bytes it frees; delete nothing'
            cand --dry-run 'Show what would be deleted and how many bytes it frees; delete nothing'
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
            cand --cost 'bcrypt cost: each step doubles the work of hashing and of every login'
            cand --htpasswd 'htpasswd file to use instead of the one the config names'
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
        &'regctl;help'= {
            cand client-setup 'Configure docker (or containerd, podman) on this machine to use a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand gc 'Delete blobs and manifests nothing needs, safely while the registry runs'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand user 'Manage registry users in the htpasswd file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;help;client-setup'= {
        }
        &'regctl;help;completions'= {
        }
        &'regctl;help;gc'= {
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
        &'regctl;help;help'= {
        }
    ]
    $completions[$command]
}
